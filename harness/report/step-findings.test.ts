/**
 * Step findings (emulation, lint) and the suggested runbook patch reach every report format:
 * Markdown (with the patch file named), HTML (the diff escaped, +/- lines coloured) and JUnit
 * (still valid against junit.xsd).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRunbook } from '../runbook/parse.ts';
import { suggestPatch } from '../runbook/patch.ts';
import { renderJUnit } from './junit.ts';
import type { RunRecord } from './record.ts';
import { renderRunHtml } from './run-html.ts';
import { renderRunMarkdown } from './run-markdown.ts';
import { repeatInvocation } from './testing/invocations.ts';

const RUNBOOK = `# Shop outage

## Resolution

### Scenario 1: Crash loop

\`\`\`bash
# the <log> & more
kubectl logs -f deployment/api -n shop
\`\`\`
`;

function recordWithFindings(): RunRecord {
  const runbook = parseRunbook(RUNBOOK, 'shop.md');
  const step = runbook.sections.find((s) => s.steps.length)!.steps[0]!;
  const base = repeatInvocation()[0]!;
  const record: RunRecord = {
    ...base,
    outcome: 'resolved-with-extra-steps',
    runbook: { file: 'shop.md', section: step.section },
    steps: [
      {
        ...base.steps[0]!,
        id: step.id,
        section: step.section,
        command: step.command,
        line: step.line,
        findings: [
          {
            kind: 'emulation',
            line: step.line,
            message: '`-f`: would not end on a cluster <b>',
          },
          {
            kind: 'lint',
            rule: 'never-ends',
            severity: 'error',
            line: step.line,
            message: 'drop -f & use --tail',
          },
        ],
      },
      {
        ...base.steps[0]!,
        id: 'extra-1',
        kind: 'extra',
        command: 'Roll the api back [{}]',
        action: { verb: 'rollout-restart', workload: 'api' },
      },
    ],
  };
  const diff = suggestPatch(RUNBOOK, runbook, [record], 'shop.md');
  return { ...record, runbookPatch: { file: 'shop.md', diff } };
}

describe('step findings and the suggested patch in the reports', () => {
  const r = recordWithFindings();

  it('has a patch to show (the fixture is not trivially empty)', () => {
    expect(r.runbookPatch!.diff).toContain('+kubectl rollout restart deployment/api -n shop');
    expect(r.runbookPatch!.diff).toContain('-kubectl logs -f deployment/api -n shop');
  });

  it('Markdown lists each finding by line and shows the patch, naming its file', () => {
    const md = renderRunMarkdown([r]);
    expect(md).toContain('### Step findings (emulation and lint)');
    expect(md).toMatch(
      /\| line 9 \| local differs from a cluster \| `kubectl logs -f deployment\/api -n shop` \|/,
    );
    expect(md).toContain('| line 9 | lint [never-ends] (error) |');
    expect(md).toContain(`\`runs/${r.runId}.runbook.patch\``);
    expect(md).toContain('`latest.runbook.patch`');
    // the runbook's own ``` fences sit inside a longer fence
    expect(md).toContain('````diff\n--- shop.md');
    expect(md).toContain('+kubectl rollout restart deployment/api -n shop');
  });

  it('HTML escapes the diff and colours added and removed lines', () => {
    const html = renderRunHtml([r], { generatedAtMs: 0 });
    expect(html).toContain('<pre class="diff">');
    expect(html).toContain('<span class="diff-add">+kubectl rollout restart deployment/api -n shop</span>');
    expect(html).toContain('<span class="diff-del">-kubectl logs -f deployment/api -n shop</span>');
    expect(html).toContain(' # the &lt;log&gt; &amp; more');
    expect(html).not.toContain('<log>');
    expect(html).toContain('would not end on a cluster &lt;b&gt;');
    expect(html).toContain('.diff-add {');
  });

  it('JUnit carries the findings and the patch size in system-out', () => {
    const xml = renderJUnit([r], { hostname: 'h' });
    expect(xml).toContain(
      'finding: local differs from a cluster (line 9): `-f`: would not end on a cluster &lt;b&gt;',
    );
    expect(xml).toContain('finding: lint [never-ends] (error) (line 9): drop -f &amp; use --tail');
    expect(xml).toMatch(/suggested runbook patch: \+\d+ -1 lines/);
  });

  const XMLLINT = '/usr/bin/xmllint';
  const XSD = fileURLToPath(new URL('./junit.xsd', import.meta.url));
  if (!existsSync(XMLLINT)) console.warn(`SKIPPED: JUnit schema validation needs ${XMLLINT}`);
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  it.skipIf(!existsSync(XMLLINT))('JUnit with findings is still valid against junit.xsd', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'firedrill-junit-findings-'));
    dirs.push(dir);
    const file = join(dir, 'junit.xml');
    await writeFile(file, renderJUnit([r]));
    const out = await promisify(execFile)(XMLLINT, ['--noout', '--schema', XSD, file]);
    expect(out.stderr).toContain('validates');
  });
});

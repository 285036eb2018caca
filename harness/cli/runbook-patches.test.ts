/** Patch files next to the run records: per run, all runs together, never stale, never against changed text. */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../report/record.ts';
import { repeatInvocation } from '../report/testing/invocations.ts';
import { parseRunbook } from '../runbook/parse.ts';
import { withSuggestedPatches, writeSuggestedPatches } from './runbook-patches.ts';

const root = mkdtempSync(join(tmpdir(), 'firedrill-patches-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const RUNBOOK = `# Shop

## Resolution

### Scenario 1: API down

\`\`\`bash
kubectl logs -f deployment/api -n shop
\`\`\`
`;

function recordFor(file: string, text: string, runId: string): RunRecord {
  const step = parseRunbook(text, file).sections.find((s) => s.steps.length)!.steps[0]!;
  const base = repeatInvocation()[0]!;
  return {
    ...base,
    runId,
    runbook: { file, section: step.section, sha256: createHash('sha256').update(text).digest('hex') },
    steps: [{ ...base.steps[0]!, id: step.id, command: step.command, line: step.line }],
  };
}

describe('suggested patch files', () => {
  it('writes one per run and latest.runbook.patch, with the path relative to the drill directory', async () => {
    const file = join(root, 'book', 'runbook.md');
    rmSync(join(root, 'book'), { recursive: true, force: true });
    mkdirSync(join(root, 'book'), { recursive: true });
    writeFileSync(file, RUNBOOK);
    const records = withSuggestedPatches(
      [recordFor(file, RUNBOOK, 'run-a'), recordFor(file, RUNBOOK, 'run-b')],
      root,
    );
    expect(records[0]!.runbookPatch?.file).toBe(join('book', 'runbook.md'));
    const out = join(root, 'reports');
    const written = await writeSuggestedPatches(out, records, root);
    expect(written.map((f) => f.slice(out.length + 1))).toEqual([
      'runs/run-a.runbook.patch',
      'runs/run-b.runbook.patch',
      'latest.runbook.patch',
    ]);
    const latest = readFileSync(join(out, 'latest.runbook.patch'), 'utf8');
    expect(latest).toContain('--- book/runbook.md\n');
    expect(latest).toContain('+kubectl logs --tail=100 deployment/api -n shop');

    // the runbook changed since the drill: no patch, and the old latest is removed
    writeFileSync(file, `${RUNBOOK}\nedited\n`);
    const stale = withSuggestedPatches(
      records.map((r) => ({ ...r, runbookPatch: undefined })),
      root,
    );
    expect(stale.every((r) => r.runbookPatch === undefined)).toBe(true);
    await writeSuggestedPatches(out, stale, root);
    expect(existsSync(join(out, 'latest.runbook.patch'))).toBe(false);
  });
});

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { UserError } from '../core/errors.ts';
import { renderRunHtml } from '../report/run-html.ts';
import { renderRunMarkdown } from '../report/run-markdown.ts';
import { syntheticRecord } from '../report/testing/synthetic.ts';
import { metricRows } from '../report/verdict.ts';
import { parseRunbook } from '../runbook/parse.ts';
import { describeTarget, parseTargetFlag, resolveTargets } from './targets.ts';

const fixture = (rel: string) => fileURLToPath(new URL(`../../fixtures/runbook/${rel}`, import.meta.url));
const OTHER = fixture('shapes/other-team.md');
const otherText = readFileSync(OTHER, 'utf8');
const lineOf = (text: string, marker: string) => text.split('\n').findIndex((l) => l.includes(marker)) + 1;
const REFERENCE = fileURLToPath(new URL('../../../shared/reference/api-outage-runbook.md', import.meta.url));
const haveReference = existsSync(REFERENCE);
if (!haveReference)
  console.warn(`SKIPPING reference-runbook target tests: ${REFERENCE} is absent (../shared not linked)`);

const scenario = { targets: { mttdMs: 5 * 60_000, mttrMs: 30 * 60_000 } };

describe('resolveTargets', () => {
  it("takes the runbook's own targets, with their lines", () => {
    const rb = parseRunbook(otherText, OTHER);
    expect(resolveTargets(rb, scenario)).toEqual({
      mttdMs: 3 * 60_000,
      mttrMs: 20 * 60_000,
      source: {
        mttd: 'runbook',
        mttr: 'runbook',
        mttdLine: lineOf(otherText, 'detect < 3 min'),
        mttrLine: lineOf(otherText, 'resolve < 20 min'),
      },
    });
  });

  it.skipIf(!haveReference)("reads the reference runbook's MTTD/MTTR bullets", () => {
    const text = readFileSync(REFERENCE, 'utf8');
    const t = resolveTargets(parseRunbook(text, REFERENCE), { targets: { mttdMs: 1, mttrMs: 1 } });
    expect(t).toEqual({
      mttdMs: 5 * 60_000,
      mttrMs: 30 * 60_000,
      source: {
        mttd: 'runbook',
        mttr: 'runbook',
        mttdLine: lineOf(text, '**MTTD'),
        mttrLine: lineOf(text, '**MTTR'),
      },
    });
  });

  it.each([
    ['- **Time to detect**: under 2 minutes\n- **Time to recover**: within 15 min\n', 120_000, 900_000],
    ['Detection within 90 seconds; recovery in under 1 hour.\n', 90_000, 3_600_000],
    ['- **MTTR**: Target < 10 minutes\n- detect < 1 min\n', 60_000, 600_000],
  ])('understands %j', (kpis, mttdMs, mttrMs) => {
    const rb = parseRunbook(
      `# R\n## Fix\n\`\`\`bash\nkubectl get pods -n x\n\`\`\`\n## SLOs\n${kpis}`,
      'r.md',
    );
    const t = resolveTargets(rb, scenario);
    expect([t.mttdMs, t.mttrMs, t.source.mttd, t.source.mttr]).toEqual([
      mttdMs,
      mttrMs,
      'runbook',
      'runbook',
    ]);
  });

  it("falls back to the scenario's targets per target, and flags win over both", () => {
    const onlyMttr = parseRunbook('# R\n## Fix\n## KPIs\n- resolve < 20 min\n', 'r.md');
    expect(resolveTargets(onlyMttr, scenario)).toEqual({
      mttdMs: 5 * 60_000,
      mttrMs: 20 * 60_000,
      source: { mttd: 'scenario', mttr: 'runbook', mttrLine: 4 },
    });
    expect(resolveTargets(onlyMttr, scenario, { mttrMs: 45 * 60_000 })).toEqual({
      mttdMs: 5 * 60_000,
      mttrMs: 45 * 60_000,
      source: { mttd: 'scenario', mttr: 'flag' },
    });
    expect(resolveTargets(undefined, scenario, { mttdMs: 90_000 }).source).toEqual({
      mttd: 'flag',
      mttr: 'scenario',
    });
  });

  it('ignores lower bounds and percentages', () => {
    const rb = parseRunbook('# R\n## Fix\n## KPIs\n- **MTTR**: > 5 minutes\n- **MTTD**: < 5%\n', 'r.md');
    expect(resolveTargets(rb, scenario).source).toEqual({ mttd: 'scenario', mttr: 'scenario' });
  });
});

describe('--target-mttd / --target-mttr values', () => {
  it.each([
    ['3m', 180_000],
    ['90s', 90_000],
    ['1h', 3_600_000],
    ['1.5m', 90_000],
    ['500ms', 500],
  ])('%s', (text, ms) => expect(parseTargetFlag('--target-mttd', text)).toBe(ms));

  it.each(['soon', '3', '-1m', '0s', '3 minutes', ''])('rejects %j in one line', (text) => {
    expect(() => parseTargetFlag('--target-mttr', text)).toThrow(UserError);
    expect(() => parseTargetFlag('--target-mttr', text)).toThrow(
      `--target-mttr ${text}: expected a positive duration such as 3m, 90s or 1h`,
    );
  });

  it('describes a target with its source', () => {
    expect(describeTarget(180_000, 'runbook', 17)).toBe('< 3 min (runbook, line 17)');
    expect(describeTarget(90_000, 'flag')).toBe('< 90 s (flag)');
  });
});

describe('reports say where a target came from', () => {
  it('the metrics rows (Markdown and HTML) show source and line', () => {
    const r = syntheticRecord({
      startedAtMs: Date.parse('2026-02-02T02:00:00Z'),
      outcome: 'resolved-by-runbook',
      mttdMs: 60_000,
      mttrMs: 600_000,
    });
    const withSource = {
      ...r,
      targets: {
        mttdMs: 180_000,
        mttrMs: 1_200_000,
        source: { mttd: 'runbook' as const, mttr: 'flag' as const, mttdLine: 350 },
      },
    };
    const rows = metricRows(withSource);
    expect(rows.slice(0, 2).map((row) => [row.metric, row.target, row.met])).toEqual([
      ['MTTD', '< 3m 00s (runbook, line 350)', true],
      ['MTTR', '< 20m 00s (flag)', true],
    ]);
    expect(renderRunMarkdown([withSource])).toContain('< 3m 00s (runbook, line 350)');
    expect(renderRunHtml([withSource], { generatedAtMs: 0 })).toContain('&lt; 3m 00s (runbook, line 350)');
  });
});

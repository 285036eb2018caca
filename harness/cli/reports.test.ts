import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeRunReports } from '../report/publish.ts';
import { mixedInvocation, repeatInvocation } from '../report/testing/invocations.ts';
import { syntheticRecord } from '../report/testing/synthetic.ts';
import { judge } from '../report/verdict.ts';
import { EXIT } from './main.ts';
import { summaryLine, verdictExitCode, writeInvocationReports } from './reports.ts';

const root = mkdtempSync(join(tmpdir(), 'firedrill-reports-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const NOW = Date.parse('2026-02-03T10:00:00Z');

const DAY = 86_400_000;
const shifted = (iso: string, days: number) => new Date(Date.parse(iso) + days * DAY).toISOString();
const readLatest = (dir: string) => ({
  md: readFileSync(join(dir, 'latest.md'), 'utf8'),
  junit: readFileSync(join(dir, 'latest.junit.xml'), 'utf8'),
});

/** ECharts numbers its CSS classes with process-wide counters: number them by first use. */
function sameCounters(html: string): string {
  const ids = new Map<string, number>();
  return html.replace(/zr\d+-cls-\d+/g, (id) => {
    if (!ids.has(id)) ids.set(id, ids.size);
    return `zr-cls-${ids.get(id)}`;
  });
}

describe('writeInvocationReports() renders in a child process', { timeout: 60_000 }, () => {
  it.each([
    ['repeat', repeatInvocation()],
    ['mixed', mixedInvocation()],
  ])('writes the %s records and the same reports the renderers write in-process', async (name, records) => {
    const dir = join(root, name);
    const written = await writeInvocationReports(dir, records, NOW);
    expect(readdirSync(join(dir, 'runs')).sort()).toEqual(records.map((r) => `${r.runId}.json`).sort());
    expect(written.slice(-3)).toEqual(
      ['latest.md', 'latest.html', 'latest.junit.xml'].map((f) => join(dir, f)),
    );

    const inProcess = join(root, `${name}-in-process`);
    await writeRunReports(inProcess, records, { generatedAtMs: NOW, basename: 'latest', env: {} });
    for (const f of ['latest.md', 'latest.html', 'latest.junit.xml'])
      expect(sameCounters(readFileSync(join(dir, f), 'utf8'))).toBe(
        sameCounters(readFileSync(join(inProcess, f), 'utf8')),
      );
  });

  it('appends the Markdown to $GITHUB_STEP_SUMMARY from the child too', async () => {
    const summary = join(root, 'step-summary.md');
    writeFileSync(summary, '');
    process.env['GITHUB_STEP_SUMMARY'] = summary;
    try {
      await writeInvocationReports(join(root, 'summary'), repeatInvocation(), NOW);
    } finally {
      delete process.env['GITHUB_STEP_SUMMARY'];
    }
    expect(readFileSync(summary, 'utf8')).toBe(
      `${readFileSync(join(root, 'summary', 'latest.md'), 'utf8')}\n`,
    );
  });

  it('tells pnpm bench what the child cost, when asked', async () => {
    const usage = join(root, 'report-usage.json');
    process.env['FIREDRILL_BENCH_REPORT_USAGE_FILE'] = usage;
    try {
      await writeInvocationReports(join(root, 'usage'), repeatInvocation(), NOW);
    } finally {
      delete process.env['FIREDRILL_BENCH_REPORT_USAGE_FILE'];
    }
    const u = JSON.parse(readFileSync(usage, 'utf8'));
    expect(u.maxRssKb).toBeGreaterThan(10_000);
    expect(u.userCpuUs + u.systemCpuUs).toBeGreaterThan(0);
  });

  it('an older invocation finishing last leaves latest.* to the newer one and writes its own files', async () => {
    const dir = join(root, 'older-last');
    const older = repeatInvocation(); // runs on 2026-01-xx
    const newer = mixedInvocation().map((r) => ({ ...r, startedAt: shifted(r.startedAt, 30) }));
    await writeInvocationReports(dir, newer, NOW);
    const latest = readLatest(dir);
    expect(latest.junit).toContain('mix-slow');
    const written = await writeInvocationReports(dir, older, NOW);
    expect(readLatest(dir)).toEqual(latest);
    const own = older.at(-1)!.runId;
    expect(written.slice(-3)).toEqual(
      [`${own}.md`, `${own}.html`, `${own}.junit.xml`].map((f) => join(dir, f)),
    );
    expect(readFileSync(join(dir, `${own}.junit.xml`), 'utf8')).toContain(older[0]!.runId);
    // and a newer one replaces it again
    const newest = repeatInvocation().map((r) => ({ ...r, startedAt: shifted(r.startedAt, 60) }));
    await writeInvocationReports(dir, newest, NOW);
    expect(readLatest(dir).junit).toContain('db-outage-rep-1');
    expect(readLatest(dir).junit).not.toContain('mix-slow');
  });

  it('two invocations publishing at once leave a latest.* set that is all the newer one', async () => {
    const dir = join(root, 'concurrent');
    const a = repeatInvocation();
    const b = mixedInvocation().map((r) => ({ ...r, startedAt: shifted(r.startedAt, 30) }));
    await Promise.all([writeInvocationReports(dir, a, NOW), writeInvocationReports(dir, b, NOW)]);
    const latest = readLatest(dir);
    for (const text of [latest.md, latest.junit]) {
      expect(text).toContain('mix-slow');
      expect(text).not.toContain('db-outage-rep-1');
    }
    expect(readdirSync(dir).filter((f) => f.endsWith('.lock'))).toEqual([]);
  });

  it('says where and why when the child cannot write a report', async () => {
    const dir = join(root, 'blocked');
    mkdirSync(join(dir, 'latest.md'), { recursive: true }); // a directory where the file goes
    await expect(writeInvocationReports(dir, repeatInvocation(), NOW)).rejects.toThrow(
      new RegExp(`^writing reports to ${dir}: .*latest\\.md`),
    );
  });
});

describe('verdictExitCode() and the reports come from one judge', () => {
  const at = Date.parse('2026-02-03T09:00:00Z');
  const cases = [
    ['drill resolved by the runbook', syntheticRecord({ startedAtMs: at, outcome: 'resolved-by-runbook' })],
    [
      'drill that needed extra steps',
      syntheticRecord({ startedAtMs: at, outcome: 'resolved-with-extra-steps' }),
    ],
    ['drill unresolved', syntheticRecord({ startedAtMs: at, outcome: 'unresolved' })],
    ['quiet control run', syntheticRecord({ startedAtMs: at, control: true })],
    [
      'noisy control run',
      syntheticRecord({ startedAtMs: at, control: true, alerts: [{ alert: 'APIErrorRateHigh' }] }),
    ],
    // remediation skipped on purpose: unresolved is what the experiment observes, not a failure
    [
      'counterfactual, detected',
      syntheticRecord({ startedAtMs: at, outcome: 'unresolved', counterfactual: true }),
    ],
    [
      'counterfactual, not detected',
      syntheticRecord({ startedAtMs: at, outcome: 'not-detected', counterfactual: true }),
    ],
  ] as const;

  it.each(cases)('%s: exit code and console line agree with the verdict', (_, r) => {
    const status = judge(r).status;
    expect(verdictExitCode([r])).toBe(status === 'pass' ? EXIT.ok : EXIT.missed);
    expect(summaryLine(r)).toContain(status === 'pass' ? '— PASS' : '— FAIL');
  });

  it('pins the verdicts themselves, so the agreement above is about something', () => {
    expect(cases.map(([name, r]) => [name, judge(r).status])).toEqual([
      ['drill resolved by the runbook', 'pass'],
      ['drill that needed extra steps', 'failure'],
      ['drill unresolved', 'failure'],
      ['quiet control run', 'pass'],
      ['noisy control run', 'failure'],
      ['counterfactual, detected', 'pass'],
      ['counterfactual, not detected', 'failure'],
    ]);
    expect(verdictExitCode(cases.map(([, r]) => r))).toBe(EXIT.missed);
    expect(verdictExitCode([cases[0][1], cases[3][1], cases[5][1]])).toBe(EXIT.ok);
  });
});

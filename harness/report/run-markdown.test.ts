import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { headlineText } from './headline.ts';
import { appendStepSummary, writeRunReports } from './publish.ts';
import { renderRunHtml } from './run-html.ts';
import { renderRunMarkdown } from './run-markdown.ts';
import { HOSTILE, mixedInvocation, repeatInvocation } from './testing/invocations.ts';

const section = (md: string, heading: string, runId: string): string => {
  const run = md.slice(md.indexOf(runId));
  const start = run.indexOf(heading);
  const end = run.indexOf('\n### ', start + heading.length);
  return run.slice(start, end === -1 ? undefined : end);
};

describe('renderRunMarkdown()', () => {
  const md = renderRunMarkdown(repeatInvocation());

  it('summarises repeats with n, mean, p50, p95, min, max against targets', () => {
    // MTTD 60,120,600 s: mean 260 s, p50 120 s, p95 = 120 + 0.9*480 = 552 s.
    expect(md).toContain('| MTTD | 3 | 4m 20s | 2m 00s | 9m 12s | 1m 00s | 10m 00s | < 5m 00s ✅ |');
    // MTTR 300,600,2400 s: mean 1100 s, p50 600 s, p95 = 600 + 0.9*1800 = 2220 s.
    expect(md).toContain('| MTTR | 3 | 18m 20s | 10m 00s | 37m 00s | 5m 00s | 40m 00s | < 30m 00s ✅ |');
    expect(md).toContain('**db-outage**: 3 runs, 2 passed; resolved-by-runbook ×3');
  });

  it('gives each run its outcome, verdict and metrics against targets', () => {
    expect(md).toContain('## Run 1 of 3: `db-outage-rep-1` — ✅ pass');
    expect(md).toContain('## Run 3 of 3: `db-outage-rep-3` — ❌ fail');
    expect(md).toContain('- MTTD 10m 00s missed target < 5m 00s');
    expect(md).toContain('- MTTR 40m 00s missed target < 30m 00s');
    const run3 = md.slice(md.indexOf('db-outage-rep-3'));
    expect(run3).toContain('| MTTD | 10m 00s | < 5m 00s | ❌ |');
    expect(run3).toContain(
      "**Observed severity:** critical (scenario declares critical); the runbook's response time for it is < 5m 00s, detection took 10m 00s ❌",
    );
  });

  it('lists the runbook steps with line, command, status, effect and duration', () => {
    const steps = section(md, '### Runbook steps', 'db-outage-rep-1');
    expect(steps).toContain('| # | line | kind | command | status | effect | duration |');
    expect(steps).toMatch(
      /\| 3 \| L160 \| remediation \| `kubectl rollout restart deployment\/agent-agency-postgres -n agent-agency` \| passed \| restored-health \| 2\.0 s at \+1m 09s \|/,
    );
    // A pipe inside a command must not split the table cell.
    expect(steps).toContain('`kubectl exec -it deploy/x -- nc -zv agent-agency-postgres 5432 \\| head`');
  });

  it('reports findings, alerts (expected and unexpected), restore and limitations', () => {
    const findings = section(md, '### Findings', 'db-outage-rep-1');
    expect(findings).toContain('- **not runnable here** (L154)');
    expect(findings).toContain('no kubectl exec on local');
    const alerts = section(md, '### Alerts fired', 'db-outage-rep-2');
    expect(alerts).toContain('| DatabaseUnreachable | expected | +2m 00s |');
    expect(alerts).toContain('| RedisUnreachable | **unexpected** | +2m 00s |');
    expect(section(md, '### Restore', 'db-outage-rep-1')).toContain('✅ restored');
    expect(md).toContain('- local platform: kubectl exec steps are not runnable');
  });

  it('never lets record text become markup', () => {
    // HOSTILE reaches the Markdown through a limitation line.
    expect(md).toContain('- step printed: &lt;script>alert("pwned")&lt;/script> & \\| `tick`');
    expect(md).not.toContain('<script>');
    expect(md).not.toContain(HOSTILE);
  });

  it('gives every kind of run its verdict', () => {
    const mixed = renderRunMarkdown(mixedInvocation());
    expect(mixed).toContain('# Fire drill: 6 scenarios, 9 runs');
    expect(mixed).toContain('`mix-pass` — ✅ pass');
    expect(mixed).toContain('`mix-extra` — ❌ fail');
    expect(mixed).toContain(
      '**resolved-with-extra-steps — FAIL: runbook did not resolve it: 1 extra step supplied by the scenario; the system came back with them**',
    );
    expect(mixed).toContain('`mix-unresolved` — ❌ fail');
    expect(mixed).toContain('- outcome unresolved');
    expect(mixed).toContain('`mix-notdetected` — ❌ fail');
    expect(mixed).toContain('`mix-aborted` — ⚠️ aborted (no verdict)');
    expect(mixed).toContain('`mix-healed` — ❌ fail');
    expect(mixed).toContain('`mix-control-quiet` — ✅ pass');
    expect(mixed).toContain('_None (as it should be for a control run)._');
    expect(mixed).toContain('`mix-control-fp` — ❌ fail');
    expect(mixed).toContain('- false positive: APIResponseTimeDegraded fired with no fault injected');
    // A control run has no fault to time: it shows what fired instead of MTTD/MTTR.
    expect(mixed).toContain('| alerts fired | APIResponseTimeDegraded | none (no fault injected) | ❌ |');
    expect(mixed).toContain('| alerts fired | none | none (no fault injected) | ✅ |');
    expect(mixed).toContain('**quiet — control run, nothing was broken and nothing fired — PASS**');
    expect(mixed).toContain('**control**: 2 control runs (no fault injected), 1 with a false positive');
    expect(mixed).toContain('`mix-slow` — ❌ fail');
    expect(mixed).toContain(
      '- **missing from runbook (extra step needed)** (not in runbook): `scale agent-agency-postgres to 1 replica`',
    );
  });
});

describe('writeRunReports() and the GitHub step summary', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('writes Markdown, HTML and JUnit side by side and appends the step summary when set', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'firedrill-report-'));
    dirs.push(dir);
    const summary = join(dir, 'step-summary.md');
    await writeFile(summary, 'earlier step\n');
    const records = repeatInvocation();
    const paths = await writeRunReports(join(dir, 'out'), records, {
      generatedAtMs: Date.parse('2026-02-03T00:00:00Z'),
      env: { GITHUB_STEP_SUMMARY: summary },
    });
    expect(paths.markdown).toBe(join(dir, 'out', 'db-outage-rep-1-and-2-more.md'));
    expect(paths.stepSummary).toBe(summary);
    const appended = await readFile(summary, 'utf8');
    expect(appended.startsWith('earlier step\n# Fire drill: db-outage')).toBe(true);
    expect(await readFile(paths.markdown, 'utf8')).toBe(renderRunMarkdown(records));
    // one scenario case (run 3 missed its targets) and three step cases (one not runnable)
    expect(await readFile(paths.junit, 'utf8')).toContain(
      '<testsuite name="firedrill" tests="4" failures="2"',
    );
    expect(await readFile(paths.html, 'utf8')).toContain('<svg');
  });

  it('does not touch any summary outside GitHub Actions', async () => {
    expect(await appendStepSummary('# x', {})).toBeUndefined();
  });
});

describe('MTTD to the page (existing monitoring with an Alertmanager)', () => {
  const paged = (pages: (number | null)[]) =>
    repeatInvocation().map((r, i) => ({ ...r, metrics: { ...r.metrics, mttdPageMs: pages[i] ?? null } }));

  it('sits beside MTTD in the summary and in each run, in Markdown and HTML; "—" when no page came', () => {
    const records = paged([90_000, 150_000, null]);
    const md = renderRunMarkdown(records);
    expect(md).toContain('| MTTD to page | 2 | 2m 00s | 2m 00s | 2m 27s | 1m 30s | 2m 30s | — |');
    expect(md).toMatch(
      /\| MTTD \| 1m 00s \| < 5m 00s \| ✅ \|\n\| MTTD to page \(Alertmanager notification\) \| 1m 30s \| — \|/,
    );
    expect(md.slice(md.indexOf('`db-outage-rep-3`'))).toContain(
      '| MTTD to page (Alertmanager notification) | — | — |',
    );
    const html = renderRunHtml(records, { generatedAtMs: 0 });
    expect(html).toContain('<td>MTTD to page (Alertmanager notification)</td>');
    expect(html).toContain('<td>MTTD to page</td>');
    expect(headlineText(records[0]!)).toMatch(/MTTD 1m 00s \(target < 5m 00s\) ✓ · paged 1m 30s · MTTR /);
    expect(headlineText(records[2]!)).toContain(' · paged — · ');
  });

  it('is absent when no Alertmanager was watched', () => {
    const md = renderRunMarkdown(repeatInvocation());
    expect(md).not.toContain('MTTD to page');
  });
});

/**
 * `pnpm scenario db-outage --repeat 3`: three real drills on one local stack, three run records, and the
 * invocation's Markdown and HTML show the spread of MTTD and MTTR (n, mean, p50, p95, min, max).
 * The expected numbers are computed here from the records, by hand, not by the report's code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { fmtDuration } from '../report/format.ts';
import { runCli, tempStateDir } from './testing.ts';

/** n, mean, p50, p95, min, max of three values; percentiles interpolate between ranks. */
function spreadOfThree(values: readonly number[]): number[] {
  expect(values).toHaveLength(3);
  const [lo, mid, hi] = [...values].sort((a, b) => a - b) as [number, number, number];
  // rank p/100 * (n - 1): p50 falls on the middle value, p95 at 1.9, 90% of the way to the top
  return [3, (lo + mid + hi) / 3, mid, mid + 0.9 * (hi - mid), lo, hi];
}

const cells = (spread: number[]) => [String(spread[0]), ...spread.slice(1).map(fmtDuration)];

it('--repeat 3 writes three records and reports n, mean, p50, p95, min, max', {
  timeout: 240_000,
}, async () => {
  const state = tempStateDir();
  const reports = join(state, 'reports');
  const run = runCli(
    'scenario.ts',
    ['db-outage', '--repeat', '3', '--reports', reports, '--detection', 'probes'],
    {
      FIREDRILL_STATE_DIR: state,
    },
  );
  expect(await run.exited).toBe(0);
  expect(run.stderr().match(/^db-outage: resolved-by-runbook /gm)).toHaveLength(3);
  // one stack for the three: restored to its baseline and verified before drills 2 and 3
  expect(run.stderr().match(/waiting for the stack to be back at its baseline/g)).toHaveLength(2);
  expect(run.stderr()).not.toContain('this drill starts a fresh one');
  for (const left of ['ledger', 'runs']) expect(readdirSync(join(state, left)), left).toEqual([]);

  const records = readdirSync(join(reports, 'runs'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(reports, 'runs', f), 'utf8')));
  expect(records).toHaveLength(3);
  expect(new Set(records.map((r) => r.runId)).size).toBe(3);
  const mttd = cells(spreadOfThree(records.map((r) => r.metrics.mttdMs)));
  const mttr = cells(spreadOfThree(records.map((r) => r.metrics.mttrMs)));

  const md = readFileSync(join(reports, 'latest.md'), 'utf8');
  expect(md).toContain('| metric | n | mean | p50 | p95 | min | max | target |');
  expect(md).toContain(`| MTTD | ${mttd.join(' | ')} | < 5m 00s ✅ |`);
  expect(md).toContain(`| MTTR | ${mttr.join(' | ')} | < 30m 00s ✅ |`);

  const html = readFileSync(join(reports, 'latest.html'), 'utf8');
  const row = (label: string, values: string[]) =>
    `<tr><td>${label}</td>${values.map((v) => `<td class="num">${v}</td>`).join('')}`;
  expect(html).toMatch(
    /<th>metric<\/th><th class="num">n<\/th><th class="num">mean<\/th><th class="num">p50<\/th><th class="num">p95<\/th><th class="num">min<\/th><th class="num">max<\/th>/,
  );
  expect(html).toContain(row('MTTD', mttd));
  expect(html).toContain(row('MTTR', mttr));
});

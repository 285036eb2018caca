/** Writing one invocation's records and reports, and the one-line verdict printed per run. */
import { join } from 'node:path';
import type { RunRecord } from '../report/record.ts';
import { writeRunRecord } from '../report/store.ts';

const fmt = (ms: number | null) =>
  ms === null ? '—' : ms < 60_000 ? `${(ms / 1000).toFixed(1)}s` : `${(ms / 60_000).toFixed(1)}min`;
const mark = (ms: number | null, target: number) => (ms !== null && ms < target ? '✓' : '✗');

export function summaryLine(r: RunRecord): string {
  const { mttdMs, mttrMs } = r.metrics;
  return [
    `${r.scenario.name}: ${r.outcome}`,
    `MTTD ${fmt(mttdMs)} (target ${fmt(r.targets.mttdMs)}) ${mark(mttdMs, r.targets.mttdMs)}`,
    `MTTR ${fmt(mttrMs)} (target ${fmt(r.targets.mttrMs)}) ${mark(mttrMs, r.targets.mttrMs)}`,
    `detection: ${r.detectionSource}`,
    r.restore.ok ? 'restored' : `RESTORE FAILED: ${r.restore.errors.join('; ')}`,
    ...(r.abortReason ? [`reason: ${r.abortReason}`] : []),
  ].join('  ');
}

/**
 * Records to <dir>/runs/<runId>.json (the history `pnpm report` aggregates), then this
 * invocation's Markdown, HTML and JUnit as <dir>/latest.*; the Markdown also goes to
 * $GITHUB_STEP_SUMMARY when set.
 */
export async function writeInvocationReports(
  dir: string,
  records: readonly RunRecord[],
  nowMs: number,
): Promise<string[]> {
  if (records.length === 0) return [];
  const files: string[] = [];
  for (const r of records) files.push(await writeRunRecord(join(dir, 'runs'), r));
  // loaded only now: the renderers (ECharts) double the harness's memory and a drill never needs them
  const { writeRunReports } = await import('../report/publish.ts');
  const paths = await writeRunReports(dir, records, { generatedAtMs: nowMs, basename: 'latest' });
  return [...files, paths.markdown, paths.html, paths.junit];
}

/** Writing one invocation's records and reports, and the one-line verdict printed per run. */
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderJUnit } from '../report/junit.ts';
import type { RunRecord } from '../report/record.ts';
import { renderRunHtml } from '../report/run-html.ts';
import { renderRunMarkdown } from '../report/run-markdown.ts';
import { writeRunRecord } from '../report/store.ts';

const fmt = (ms: number | null) =>
  ms === null ? '—' : ms < 60_000 ? `${(ms / 1000).toFixed(1)}s` : `${(ms / 60_000).toFixed(1)}min`;
const mark = (ms: number | null, target: number) => (ms !== null && ms <= target ? '✓' : '✗');

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

/** Records to <dir>/runs/, then this invocation's Markdown, HTML and JUnit next to them. */
export async function writeInvocationReports(
  dir: string,
  records: readonly RunRecord[],
  nowMs: number,
): Promise<string[]> {
  if (records.length === 0) return [];
  const files: string[] = [];
  for (const r of records) files.push(await writeRunRecord(join(dir, 'runs'), r));
  const md = renderRunMarkdown(records);
  const write = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    files.push(file);
  };
  write('latest.md', md);
  write('latest.html', renderRunHtml(records, { generatedAtMs: nowMs }));
  write('junit.xml', renderJUnit(records));
  if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, `${md}\n`);
  return files;
}

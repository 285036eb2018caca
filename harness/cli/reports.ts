/** Writing one invocation's records and reports, and the one-line verdict printed per run. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { headlineText } from '../report/headline.ts';
import type { RunReportPaths } from '../report/publish.ts';
import type { PublishRequest } from '../report/publish-child.ts';
import type { RunRecord } from '../report/record.ts';
import { writeRunRecord } from '../report/store.ts';
import { allPassed } from '../report/verdict.ts';
import { EXIT } from './main.ts';
import { withSuggestedPatches, writeSuggestedPatches } from './runbook-patches.ts';

const PUBLISH_CHILD = join(import.meta.dirname, '..', 'report', 'publish-child.ts');

/** `pnpm scenario`'s exit code: the reports' own verdict, so the two cannot disagree. */
export const verdictExitCode = (records: readonly RunRecord[]): number =>
  allPassed(records) ? EXIT.ok : EXIT.missed;

/** One line per run on the console: the same headline the reports open with, then restore and detection. */
export function summaryLine(r: RunRecord): string {
  return [
    `${r.scenario.name}: ${headlineText(r)}`,
    `detection: ${r.detectionSource}`,
    r.restore.ok ? 'restored' : `RESTORE FAILED: ${r.restore.errors.join('; ')}`,
    ...(r.abortReason ? [`reason: ${r.abortReason}`] : []),
  ].join('  ');
}

/**
 * Records to <dir>/runs/<runId>.json (the history `pnpm report` aggregates), the suggested
 * runbook patches (runs/<runId>.runbook.patch, latest.runbook.patch), then this
 * invocation's Markdown, HTML and JUnit as <dir>/latest.*; the Markdown also goes to
 * $GITHUB_STEP_SUMMARY when set. A drill that ran alongside and started later keeps latest.*:
 * this invocation's reports are then named after its newest run.
 */
export async function writeInvocationReports(
  dir: string,
  records: readonly RunRecord[],
  nowMs: number,
): Promise<string[]> {
  if (records.length === 0) return [];
  const files: string[] = [];
  const patched = withSuggestedPatches(records, process.cwd());
  for (const r of patched) files.push(await writeRunRecord(join(dir, 'runs'), r));
  files.push(...(await writeSuggestedPatches(dir, patched, process.cwd())));
  const paths = await publishInChild({ dir, records: patched, generatedAtMs: nowMs, basename: 'latest' });
  if (paths.supersededBy)
    process.stderr.write(
      `note: ${join(dir, 'latest.*')} describes a newer drill (${paths.supersededBy}) that ran alongside; this invocation's reports are ${paths.markdown} and its siblings\n`,
    );
  return [...files, paths.markdown, paths.html, paths.junit];
}

/**
 * The renderers (ECharts) would double the drill process's peak memory for the last second of
 * its life: a child process of their own renders the same records instead.
 */
async function publishInChild(req: PublishRequest): Promise<RunReportPaths> {
  const child = spawn(process.execPath, [PUBLISH_CHILD], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => resolve(err.message));
    child.once('close', (code, signal) => resolve(signal ? `killed by ${signal}` : `exit ${code}`));
  });
  child.stdin.on('error', () => {}); // a child that died early says why through its exit
  child.stdin.end(JSON.stringify(req));
  const [out, err, how] = await Promise.all([text(child.stdout), text(child.stderr), exited]);
  if (how !== 'exit 0') throw new Error(`writing reports to ${req.dir}: ${err.trim() || how}`);
  return JSON.parse(out) as RunReportPaths;
}

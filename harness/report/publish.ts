/**
 * Write the reports of one invocation next to each other (Markdown, HTML, JUnit XML) and add
 * the Markdown to the GitHub Actions job summary when running there. This is what the
 * scenario CLI calls after a drill; the run records themselves go through writeRunRecord().
 */
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withFileLock } from '../core/file-lock.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { renderJUnit } from './junit.ts';
import type { RunRecord } from './record.ts';
import { renderRunHtml } from './run-html.ts';
import { renderRunMarkdown } from './run-markdown.ts';

export interface RunReportPaths {
  readonly markdown: string;
  readonly html: string;
  readonly junit: string;
  /**
   * With `onlyIfNewer`: the run id latest.* describes when it is newer than this invocation's
   * runs, which then went to files named after their newest run instead.
   */
  readonly supersededBy?: string;
  /** The step-summary file the Markdown was appended to, when GITHUB_STEP_SUMMARY is set. */
  readonly stepSummary?: string;
}

export interface RunReportOptions {
  /** File name without extension; defaults to the run id (one run) or the first run id + count. */
  readonly basename?: string;
  /** Epoch ms printed as "generated at"; pass the clock's wall time. */
  readonly generatedAtMs: number;
  /** Where GITHUB_STEP_SUMMARY is looked up; defaults to process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly hostname?: string;
  /**
   * Concurrent drills share one `latest.*`: replace it only when this invocation's newest run
   * is newer than the one it describes, under a lock, so the three files always describe the
   * same invocation. An older invocation writes `<its newest run id>.*` instead.
   */
  readonly onlyIfNewer?: boolean;
}

/**
 * @example
 * const paths = await writeRunReports('reports', records, { generatedAtMs: clock.now().wallMs });
 * log.info(`report: ${paths.html}`);
 */
export async function writeRunReports(
  outDir: string,
  records: readonly RunRecord[],
  opts: RunReportOptions,
): Promise<RunReportPaths> {
  if (records.length === 0) throw new Error('writeRunReports needs at least one run record');
  const first = records[0]!;
  const base =
    opts.basename ?? (records.length === 1 ? first.runId : `${first.runId}-and-${records.length - 1}-more`);
  const markdown = renderRunMarkdown(records);
  const files = {
    markdown,
    html: renderRunHtml(records, { generatedAtMs: opts.generatedAtMs }),
    junit: renderJUnit(records, opts.hostname !== undefined ? { hostname: opts.hostname } : {}),
  };
  const paths = opts.onlyIfNewer
    ? await withFileLock(join(outDir, `.${base}.lock`), () => writeIfNewer(outDir, base, records, files))
    : await writeSet(outDir, base, files);
  const stepSummary = await appendStepSummary(markdown, opts.env ?? process.env);
  return stepSummary ? { ...paths, stepSummary } : paths;
}

type Rendered = { markdown: string; html: string; junit: string };

async function writeSet(outDir: string, base: string, files: Rendered): Promise<RunReportPaths> {
  const paths = {
    markdown: join(outDir, `${base}.md`),
    html: join(outDir, `${base}.html`),
    junit: join(outDir, `${base}.junit.xml`),
  };
  await writeFileAtomic(paths.markdown, files.markdown);
  await writeFileAtomic(paths.html, files.html);
  await writeFileAtomic(paths.junit, files.junit);
  return paths;
}

/** Which run a set of reports describes: its newest (start time, then run id). */
interface Describes {
  readonly startedAt: string;
  readonly runId: string;
}

const newest = (records: readonly RunRecord[]): Describes =>
  records.map((r) => ({ startedAt: r.startedAt, runId: r.runId })).reduce((a, b) => (isNewer(b, a) ? b : a));

const isNewer = (a: Describes, b: Describes) =>
  Date.parse(a.startedAt) > Date.parse(b.startedAt) ||
  (Date.parse(a.startedAt) === Date.parse(b.startedAt) && a.runId > b.runId);

/** Called holding the lock: the marker names what `<base>.*` describes and is written last. */
async function writeIfNewer(
  outDir: string,
  base: string,
  records: readonly RunRecord[],
  files: Rendered,
): Promise<RunReportPaths> {
  const marker = join(outDir, `.${base}.describes.json`);
  const mine = newest(records);
  let current: Describes | undefined;
  try {
    current = JSON.parse(await readFile(marker, 'utf8')) as Describes;
  } catch {
    current = undefined; // none yet (or unreadable): ours replaces it
  }
  if (current && !isNewer(mine, current))
    return { ...(await writeSet(outDir, mine.runId, files)), supersededBy: current.runId };
  const paths = await writeSet(outDir, base, files);
  await writeFileAtomic(marker, JSON.stringify(mine));
  return paths;
}

/**
 * Append Markdown to the GitHub Actions job summary ($GITHUB_STEP_SUMMARY) when that is set.
 * Returns the file appended to, or undefined outside GitHub Actions.
 */
export async function appendStepSummary(
  markdown: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<string | undefined> {
  const file = env['GITHUB_STEP_SUMMARY'];
  if (!file) return undefined;
  await appendFile(file, `${markdown}\n`, 'utf8');
  return file;
}

/**
 * Write the reports of one invocation next to each other (Markdown, HTML, JUnit XML) and add
 * the Markdown to the GitHub Actions job summary when running there. This is what the
 * scenario CLI calls after a drill; the run records themselves go through writeRunRecord().
 */
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write.ts';
import { renderJUnit } from './junit.ts';
import type { RunRecord } from './record.ts';
import { renderRunHtml } from './run-html.ts';
import { renderRunMarkdown } from './run-markdown.ts';

export interface RunReportPaths {
  readonly markdown: string;
  readonly html: string;
  readonly junit: string;
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
  const paths = {
    markdown: join(outDir, `${base}.md`),
    html: join(outDir, `${base}.html`),
    junit: join(outDir, `${base}.junit.xml`),
  };
  await writeFileAtomic(paths.markdown, markdown);
  await writeFileAtomic(paths.html, renderRunHtml(records, { generatedAtMs: opts.generatedAtMs }));
  await writeFileAtomic(
    paths.junit,
    renderJUnit(records, opts.hostname !== undefined ? { hostname: opts.hostname } : {}),
  );
  const stepSummary = await appendStepSummary(markdown, opts.env ?? process.env);
  return stepSummary ? { ...paths, stepSummary } : paths;
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

/**
 * Run records on disk: one JSON file per run in a folder (by default reports/runs). Writes are
 * atomic (temp file, fsync, rename, fsync of the folder) so a crash mid-write never leaves a
 * half record for the quarterly report to choke on; reads skip bad files and say which.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage, UserError } from '../core/errors.ts';
import { formatIssues } from '../scenario/schema.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { type RunRecord, runRecordSchema } from './record.ts';

/** Where run records land unless told otherwise. */
export const DEFAULT_RUNS_DIR = 'reports/runs';

// The run id becomes a file name: keep it to characters that are safe on every file system.
const SAFE_RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Validate `record` and write it to `<runsDir>/<runId>.json` atomically. Returns the path.
 * Throws a UserError naming the bad field if the record does not match runRecordSchema.
 *
 * @example
 * const path = await writeRunRecord('reports/runs', record);
 */
export async function writeRunRecord(runsDir: string, record: RunRecord): Promise<string> {
  const parsed = runRecordSchema.safeParse(record);
  if (!parsed.success)
    throw new UserError(`run record ${record.runId} is invalid: ${formatIssues(parsed.error)}`);
  if (!SAFE_RUN_ID.test(parsed.data.runId))
    throw new UserError(`run id "${parsed.data.runId}" cannot be a file name (use letters, digits, . _ -)`);
  const path = join(runsDir, `${parsed.data.runId}.json`);
  await writeFileAtomic(path, `${JSON.stringify(parsed.data, null, 2)}\n`);
  return path;
}

export interface InvalidRecordFile {
  readonly path: string;
  readonly reason: string;
}

export interface ReadRunRecordsResult {
  /** Valid records, oldest first. */
  readonly records: RunRecord[];
  /** Files that were skipped, with why. */
  readonly invalid: InvalidRecordFile[];
}

/**
 * Read every `*.json` run record in `runsDir`, oldest first. Records started before `sinceMs`
 * (epoch ms) are left out. A file that is not a valid record is skipped and listed in
 * `invalid`. Throws a UserError when the folder does not exist.
 */
export async function readRunRecords(
  runsDir: string,
  opts: { sinceMs?: number } = {},
): Promise<ReadRunRecordsResult> {
  let names: string[];
  try {
    names = await readdir(runsDir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`no such folder of run records: ${runsDir}`);
    if (code === 'ENOTDIR') throw new UserError(`not a folder: ${runsDir}`);
    throw err;
  }
  const records: RunRecord[] = [];
  const invalid: InvalidRecordFile[] = [];
  for (const name of names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort()) {
    const path = join(runsDir, name);
    const text = await readRecordText(path);
    if (typeof text !== 'string') {
      invalid.push({ path, reason: text.reason });
      continue;
    }
    const result = parseRecordFile(text);
    if ('reason' in result) {
      invalid.push({ path, reason: result.reason });
      continue;
    }
    if (opts.sinceMs !== undefined && Date.parse(result.record.startedAt) < opts.sinceMs) continue;
    records.push(result.record);
  }
  records.sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt) || a.runId.localeCompare(b.runId));
  return { records, invalid };
}

/** The file's text, or why it has none: a folder or a socket named *.json is not a record. */
async function readRecordText(path: string): Promise<string | { reason: string }> {
  try {
    if (!(await stat(path)).isFile()) return { reason: 'not a regular file' };
    return await readFile(path, 'utf8');
  } catch (err) {
    return { reason: `unreadable (${(err as NodeJS.ErrnoException).code ?? errorMessage(err)})` };
  }
}

function parseRecordFile(text: string): { record: RunRecord } | { reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { reason: `not JSON (${(err as Error).message})` };
  }
  const parsed = runRecordSchema.safeParse(json);
  if (!parsed.success) return { reason: formatIssues(parsed.error) };
  if (Number.isNaN(Date.parse(parsed.data.startedAt)))
    return { reason: `startedAt: not a date: ${parsed.data.startedAt}` };
  return { record: parsed.data };
}

/**
 * The suggested runbook patches of one invocation: each run's own (in its record and as
 * runs/<runId>.runbook.patch) and all runs of the most drilled runbook together as
 * latest.runbook.patch, so `patch RUNBOOK < reports/latest.runbook.patch` applies them at once.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { writeFileAtomic } from '../report/atomic-write.ts';
import type { RunRecord } from '../report/record.ts';
import { LATEST_PATCH, runPatchPath } from '../report/step-findings.ts';
import type { Runbook } from '../runbook/model.ts';
import { parseRunbook } from '../runbook/parse.ts';
import { suggestPatch } from '../runbook/patch.ts';

interface Source {
  readonly text: string;
  readonly runbook: Runbook;
  /** As the diff headers name it: relative to where the drill was started (the repository root). */
  readonly path: string;
}

/** The runbook as it was drilled; undefined when it is gone or has changed since. */
function sourceOf(r: RunRecord, cwd: string): Source | undefined {
  let text: string;
  try {
    text = readFileSync(r.runbook.file, 'utf8');
  } catch {
    return undefined;
  }
  if (r.runbook.sha256 && createHash('sha256').update(text).digest('hex') !== r.runbook.sha256)
    return undefined; // a patch against other text would not apply
  return { text, runbook: parseRunbook(text, r.runbook.file), path: relative(cwd, r.runbook.file) };
}

/** Each record with its own suggested patch attached, where there is one. */
export function withSuggestedPatches(records: readonly RunRecord[], cwd: string): RunRecord[] {
  const sources = new Map<string, Source | undefined>();
  return records.map((r) => {
    if (!sources.has(r.runbook.file)) sources.set(r.runbook.file, sourceOf(r, cwd));
    const src = sources.get(r.runbook.file);
    const diff = src ? suggestPatch(src.text, src.runbook, [r], src.path) : '';
    return diff ? { ...r, runbookPatch: { file: src!.path, diff } } : r;
  });
}

/**
 * Write runs/<runId>.runbook.patch per record that has one, and latest.runbook.patch for all runs
 * of the runbook drilled most; a latest.runbook.patch from an earlier invocation is removed when
 * this one suggests nothing, so it never describes other runs.
 */
export async function writeSuggestedPatches(
  dir: string,
  records: readonly RunRecord[],
  cwd: string,
): Promise<string[]> {
  const files: string[] = [];
  for (const r of records) {
    if (!r.runbookPatch) continue;
    const file = join(dir, runPatchPath(r.runId));
    await writeFileAtomic(file, r.runbookPatch.diff);
    files.push(file);
  }
  const counts = new Map<string, number>();
  for (const r of records) counts.set(r.runbook.file, (counts.get(r.runbook.file) ?? 0) + 1);
  const file = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  const mine = records.filter((r) => r.runbook.file === file);
  const src = mine[0] && sourceOf(mine[0], cwd);
  const diff = src ? suggestPatch(src.text, src.runbook, mine, src.path) : '';
  const latest = join(dir, LATEST_PATCH);
  if (diff) {
    await writeFileAtomic(latest, diff);
    files.push(latest);
  } else await rm(latest, { force: true });
  return files;
}

/**
 * Finding programs the way a shell does: a regular file this process may execute, first match
 * on the directories in order. Used for the local platform's binaries and for a runbook step's
 * programs, so both answer "installed here?" alike.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { join } from 'node:path';

/** A regular file this process may execute (a searchable directory is not a program). */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The first executable `name` in `dirs`, in order, or undefined. */
export function findOnPath(name: string, dirs: readonly string[]): string | undefined {
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * `pnpm report --runbook <path>`: which run records verified that runbook. Records name the
 * runbook by the path it had on the machine that ran the drill (a laptop, a CI checkout), so a
 * path given inside the current folder also matches by its trailing path segments:
 * `fixtures/runbook/api-outage.md` finds the nightly run's
 * `/home/runner/work/x/x/fixtures/runbook/api-outage.md` as well as the local one.
 * Whole segments only: `outage.md` does not match `api-outage.md`.
 */
import { isAbsolute, normalize, relative, resolve, sep } from 'node:path';

/** A predicate on a record's `runbook.file` for the `--runbook` argument, read from `cwd`. */
export function runbookMatcher(arg: string, cwd: string = process.cwd()): (file: string) => boolean {
  const abs = resolve(cwd, arg);
  const rel = relative(cwd, abs);
  const inside = rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
  const tail = inside ? rel.split(sep) : undefined;
  return (file) => {
    if (resolve(cwd, file) === abs) return true;
    if (!tail) return false;
    const parts = normalize(file).split(sep);
    const from = parts.length - tail.length;
    return from >= 0 && tail.every((segment, i) => parts[from + i] === segment);
  };
}

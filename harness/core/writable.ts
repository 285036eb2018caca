/**
 * Whether a folder the harness will write into at the END of a drill (reports) can be written
 * at all, asked before anything starts. access(W_OK) is not enough: as root it says yes to
 * /proc and /sys, where writes then fail or hang; and a path whose existing ancestor is a file
 * can never be created. So: the nearest existing ancestor must be a folder, on an ordinary
 * file system, and a probe file must be creatable (and is removed) there.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, realpathSync, rmSync, statfsSync, statSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';

/** Kernel pseudo file systems (statfs f_type): writes there reach the kernel, not a disk. */
const PSEUDO_FS = new Map<number, string>([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x1cd1, 'devpts'],
  [0xcafe4a11, 'bpf'],
]);
const SPECIAL_PREFIXES = ['/proc', '/sys', '/dev'];

/** Why `dir` cannot be written (a short phrase), or undefined when it can. Leaves nothing behind. */
export function unwritableReason(dir: string): string | undefined {
  let existing = resolve(dir);
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  let real: string;
  try {
    real = realpathSync(existing);
    if (!statSync(real).isDirectory()) return `${existing} is a file, not a folder`;
  } catch (err) {
    return `${existing} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
  }
  const prefix = SPECIAL_PREFIXES.find((p) => real === p || real.startsWith(p + sep));
  if (prefix) return `${real} is on the special file system ${prefix}`;
  try {
    const fs = PSEUDO_FS.get(statfsSync(real).type);
    if (fs) return `${real} is on the kernel file system ${fs}`;
  } catch {}
  const probe = join(real, `.firedrill-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    closeSync(openSync(probe, 'wx'));
  } catch (err) {
    return `cannot create a file in ${real} (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
  }
  rmSync(probe, { force: true });
  return undefined;
}

/**
 * One local drill per namespace (and state dir) at a time, like the kube platform's ConfigMap
 * lock: a lock file `<lockDir>/local-<namespace>.lock` created atomically (O_EXCL) names its
 * owner (PID, /proc start time, host). A second drill refuses in one line naming the holder. A
 * lock whose owner is gone (or whose PID now belongs to another process) is stale: a SIGKILLed
 * drill's lock is taken over by the next drill, with no cleanup needed.
 */
import { existsSync, mkdirSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../core/errors.ts';
import { createLockFile, readLockFile } from '../../core/file-lock.ts';
import { currentOwner, type LedgerOwner, ownerState } from '../../core/ledger.ts';
import type { Logger } from '../../core/log.ts';

interface LockContent extends LedgerOwner {
  readonly runId?: string;
}

const lockFile = (lockDir: string, namespace: string) => join(lockDir, `local-${namespace}.lock`);

const readLock = (file: string) => readLockFile<LockContent>(file);

const busyLine = (namespace: string, held: LockContent) =>
  `namespace ${namespace} is in use by drill PID ${held.pid}${held.host ? ` on ${held.host}` : ''} ` +
  `(started ${new Date(held.startedAtWallMs).toISOString()}); wait for it or run \`pnpm chaos status\``;

/** A holder that still runs (or runs elsewhere and cannot be checked) blocks; a dead one does not. */
const holder = (held: LockContent | undefined): LockContent | undefined => {
  const state = ownerState(held);
  return state === 'alive' || state === 'other-host' || state === 'self' ? held : undefined;
};

/** For preflight: the one line saying another drill holds the namespace, or undefined. Reads only. */
export function localLockHolder(lockDir: string, namespace: string): string | undefined {
  const held = holder(readLock(lockFile(lockDir, namespace)));
  return held ? busyLine(namespace, held) : undefined;
}

export interface LocalLock {
  release(): void;
}

/** Take the namespace's lock, or throw UserError (one line) naming the drill that holds it. */
export function takeLocalLock(opts: {
  lockDir: string;
  namespace: string;
  runId?: string;
  nowWallMs: number;
  log: Logger;
}): LocalLock {
  const file = lockFile(opts.lockDir, opts.namespace);
  const content: LockContent = {
    ...currentOwner(opts.nowWallMs),
    ...(opts.runId ? { runId: opts.runId } : {}),
  };
  mkdirSync(opts.lockDir, { recursive: true });
  for (let attempt = 0; !createLockFile(file, content); attempt++) {
    const stale = readLock(file);
    const held = holder(stale);
    if (held) throw new UserError(busyLine(opts.namespace, held));
    // two drills taking over the same stale lock: the second create fails and reads the first
    if (attempt > 0) throw new UserError(`namespace ${opts.namespace}: lock ${file} is contended; try again`);
    opts.log.warn(
      `local: taking over the lock of namespace ${opts.namespace} from drill PID ${stale?.pid ?? '?'} (no longer running)`,
    );
    rmSync(file, { force: true });
  }
  return {
    release: () => {
      // only our own lock: a lock taken over from us (we were thought dead) is not ours to drop
      if (readLock(file)?.pid === process.pid) rmSync(file, { force: true });
      try {
        rmdirSync(opts.lockDir); // leave no empty folder behind; another drill's lock keeps it
      } catch {}
    },
  };
}

/** For `pnpm chaos cleanup`: remove the locks of drills that are gone; returns their files. */
export function removeStaleLocalLocks(lockDir: string): string[] {
  if (!existsSync(lockDir)) return [];
  const removed: string[] = [];
  for (const name of readdirSync(lockDir).filter((n) => n.endsWith('.lock'))) {
    const file = join(lockDir, name);
    if (holder(readLock(file))) continue;
    rmSync(file, { force: true });
    removed.push(file);
  }
  try {
    rmdirSync(lockDir);
  } catch {}
  return removed;
}

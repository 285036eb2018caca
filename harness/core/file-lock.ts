/**
 * A short critical section shared by processes on this machine: a lock file created atomically
 * (O_EXCL) naming its owner. Waiters poll; a lock whose owner has died is taken over, so a
 * killed process never blocks the next one for good.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { currentOwner, type LedgerOwner, ownerState } from './ledger.ts';

/** The owner a lock file names; undefined when it is gone or torn by a crash mid-write. */
export function readLockFile<T extends LedgerOwner>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Create `file` atomically (O_EXCL) holding `owner` as JSON: false when it already exists. */
export function createLockFile(file: string, owner: LedgerOwner): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, JSON.stringify(owner));
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Run `fn` holding the lock `file`; throws after `timeoutMs` of waiting for a live holder. */
export async function withFileLock<T>(file: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  mkdirSync(dirname(file), { recursive: true });
  const me = currentOwner();
  const deadline = Date.now() + timeoutMs;
  while (!createLockFile(file, me)) {
    const holder = readLockFile(file);
    // a holder that died is stale; so is a file still empty or torn seconds after its creation
    if (holder ? ownerState(holder) === 'dead' : ageMs(file) > 5000) rmSync(file, { force: true });
    else if (Date.now() > deadline)
      throw new Error(`lock ${file} still held by PID ${holder?.pid ?? '?'} after ${timeoutMs} ms`);
    else await new Promise((r) => setTimeout(r, 50));
  }
  try {
    return await fn();
  } finally {
    if (readLockFile(file)?.pid === me.pid) rmSync(file, { force: true });
  }
}

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0; // gone meanwhile: the next create tells
  }
}

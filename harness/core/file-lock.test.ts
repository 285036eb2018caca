import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withFileLock } from './file-lock.ts';
import { processStartTime } from './proc.ts';

const lockIn = () => join(mkdtempSync(join(tmpdir(), 'fd-file-lock-')), 'x.lock');

/** A real process, and the lock content naming it as owner. */
async function ownerProcess(exit: boolean) {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  const pid = child.pid!;
  const owner = { pid, startTime: processStartTime(pid), host: hostname(), startedAtWallMs: Date.now() };
  if (exit) {
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
  }
  return { child, owner };
}

describe('withFileLock', () => {
  it('runs critical sections one at a time and removes the lock after', async () => {
    const file = lockIn();
    const events: string[] = [];
    const section = (name: string) => async () => {
      events.push(`${name} in`);
      await new Promise((r) => setTimeout(r, 100));
      events.push(`${name} out`);
    };
    await Promise.all([withFileLock(file, section('a')), withFileLock(file, section('b'))]);
    expect(events).toEqual(['a in', 'a out', 'b in', 'b out']);
    expect(existsSync(file)).toBe(false);
  });

  it('takes over the lock of a process that died holding it', async () => {
    const file = lockIn();
    const { owner } = await ownerProcess(true);
    writeFileSync(file, JSON.stringify(owner));
    expect(await withFileLock(file, async () => 'ran', 1000)).toBe('ran');
  });

  it('waits for a live holder, bounded, and names it', async () => {
    const file = lockIn();
    const { child, owner } = await ownerProcess(false);
    try {
      writeFileSync(file, JSON.stringify(owner));
      await expect(withFileLock(file, async () => 'ran', 300)).rejects.toThrow(
        `lock ${file} still held by PID ${owner.pid} after 300 ms`,
      );
    } finally {
      child.kill('SIGKILL');
    }
  });
});

/**
 * The local namespace lock against a real second process holding it: refused while the holder
 * runs (naming its PID), taken over once it is gone, never dropped by a drill that lost it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { UserError } from '../../core/errors.ts';
import { silentLogger } from '../../core/log.ts';
import { localLockHolder, removeStaleLocalLocks, takeLocalLock } from './lock.ts';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

/** Another drill: a real process that takes the lock of `agent-agency` and sleeps. */
async function holder(lockDir: string): Promise<ChildProcess> {
  const script = join(mkdtempSync(join(tmpdir(), 'fd-lock-holder-')), 'hold.mjs');
  const lockModule = pathToFileURL(resolve(import.meta.dirname, 'lock.ts')).href;
  const logModule = pathToFileURL(resolve(import.meta.dirname, '../../core/log.ts')).href;
  writeFileSync(
    script,
    `import { takeLocalLock } from ${JSON.stringify(lockModule)};
     import { silentLogger } from ${JSON.stringify(logModule)};
     takeLocalLock({ lockDir: ${JSON.stringify(lockDir)}, namespace: 'agent-agency', nowWallMs: Date.now(), log: silentLogger });
     process.stdout.write('locked\\n');
     setInterval(() => {}, 1000);`,
  );
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  await new Promise<void>((res, rej) => {
    child.stdout!.on('data', (d) => String(d).includes('locked') && res());
    child.on('exit', (code) => rej(new Error(`holder exited ${code}`)));
  });
  return child;
}

const take = (lockDir: string, log = silentLogger) =>
  takeLocalLock({ lockDir, namespace: 'agent-agency', nowWallMs: Date.now(), log });

describe('local namespace lock', { timeout: 30_000 }, () => {
  it('refuses a second drill in one line naming the holder, and takes over once the holder is gone', async () => {
    const lockDir = join(mkdtempSync(join(tmpdir(), 'fd-lock-')), 'locks');
    const other = await holder(lockDir);
    const busy = new RegExp(
      `^namespace agent-agency is in use by drill PID ${other.pid} on \\S+ \\(started \\d{4}-.*Z\\); wait for it or run \`pnpm chaos status\`$`,
    );
    expect(localLockHolder(lockDir, 'agent-agency')).toMatch(busy);
    expect(localLockHolder(lockDir, 'other-namespace')).toBeUndefined();
    let refused: unknown;
    try {
      take(lockDir);
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(UserError);
    expect((refused as Error).message).toMatch(busy);

    other.kill('SIGKILL');
    await new Promise((r) => other.once('exit', r));
    expect(localLockHolder(lockDir, 'agent-agency')).toBeUndefined();
    const warnings: string[] = [];
    const lock = take(lockDir, { ...silentLogger, warn: (m: string) => warnings.push(m) });
    expect(warnings).toEqual([expect.stringContaining(`from drill PID ${other.pid} (no longer running)`)]);
    expect(localLockHolder(lockDir, 'agent-agency')).toMatch(`drill PID ${process.pid}`);
    lock.release();
    expect(existsSync(lockDir)).toBe(false);
  });

  it('release leaves a lock another drill took over alone', async () => {
    const lockDir = join(mkdtempSync(join(tmpdir(), 'fd-lock-')), 'locks');
    const lock = take(lockDir);
    // as if this drill had been judged dead and another had taken its lock over
    writeFileSync(
      join(lockDir, 'local-agent-agency.lock'),
      JSON.stringify({ pid: 1, host: 'x', startedAtWallMs: 0 }),
    );
    lock.release();
    expect(readdirSync(lockDir)).toEqual(['local-agent-agency.lock']);
  });

  it('cleanup removes the lock of a drill that is gone, and only that', async () => {
    const lockDir = join(mkdtempSync(join(tmpdir(), 'fd-lock-')), 'locks');
    const other = await holder(lockDir);
    expect(removeStaleLocalLocks(lockDir)).toEqual([]);
    expect(readdirSync(lockDir)).toEqual(['local-agent-agency.lock']);
    other.kill('SIGKILL');
    await new Promise((r) => other.once('exit', r));
    expect(removeStaleLocalLocks(lockDir)).toEqual([join(lockDir, 'local-agent-agency.lock')]);
    expect(existsSync(lockDir)).toBe(false);
  });
});

/**
 * `pnpm chaos status|cleanup` against a ledger whose drill still runs: a real child process
 * holds the ledger (its owner line names it), and its recorded undo would kill a real process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { processEnded, processStartTime } from '../core/proc.ts';
import { REPO, runCli, tempStateDir } from './testing.ts';

const started: ChildProcess[] = [];
afterEach(() => {
  for (const c of started.splice(0)) c.kill('SIGKILL');
});

/** A process the ledger's undo would kill. */
function victim(): number {
  const sleep = spawn('sleep', ['300'], { stdio: 'ignore' });
  started.push(sleep);
  return sleep.pid!;
}

/** A drill stand-in: records "kill `pid`" in a ledger under `state`, then sleeps. */
async function owner(state: string, pid: number): Promise<ChildProcess> {
  const script = join(state, 'owner.mjs');
  const ledgerModule = pathToFileURL(join(REPO, 'harness/core/ledger.ts')).href;
  writeFileSync(
    script,
    `import { Ledger } from ${JSON.stringify(ledgerModule)};
     Ledger.open(${JSON.stringify(join(state, 'ledger'))}, 'live-run')
       .record('sleeper ${pid}', { type: 'kill-process', pid: ${pid}, startTime: ${JSON.stringify(processStartTime(pid))} });
     process.stdout.write('recorded\\n');
     setInterval(() => {}, 1000);`,
  );
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  started.push(child);
  await new Promise<void>((res, rej) => {
    child.stdout!.on('data', (d) => String(d).includes('recorded') && res());
    child.on('exit', (code) => rej(new Error(`owner exited ${code}`)));
  });
  return child;
}

const chaos = async (state: string, ...args: string[]) => {
  const run = runCli('chaos.ts', args, { FIREDRILL_STATE_DIR: state });
  const code = await run.exited;
  return { code, out: run.stdout() + run.stderr() };
};

const waitEnded = async (pid: number) => {
  for (let i = 0; i < 100 && !processEnded(pid); i++) await new Promise((r) => setTimeout(r, 50));
  return processEnded(pid);
};

describe('pnpm chaos with a live drill', { timeout: 60_000 }, () => {
  it('shows a live drill as running and leaves it alone; --force replays it', async () => {
    const state = tempStateDir();
    const pid = victim();
    const drill = await owner(state, pid);

    const status = await chaos(state, 'status');
    expect(status.code).toBe(0);
    expect(status.out).toContain(`live-run: sleeper ${pid} [running (drill PID ${drill.pid}, still alive)]`);

    const cleanup = await chaos(state, 'cleanup');
    expect(cleanup.code).toBe(0);
    expect(cleanup.out).toMatch(/0 change\(s\) undone, 0 failed, 1 running drill\(s\) left alone/);
    expect(processEnded(pid)).toBe(false); // its undo was not executed

    const forced = await chaos(state, 'cleanup', '--force');
    expect(forced.out).toMatch(/1 change\(s\) undone, 0 failed/);
    expect(await waitEnded(pid)).toBe(true);
  });

  it('replays the ledger once its owner is gone', async () => {
    const state = tempStateDir();
    const pid = victim();
    const drill = await owner(state, pid);
    drill.kill('SIGKILL');
    await new Promise((r) => drill.once('exit', r));

    expect((await chaos(state, 'status')).out).toContain(`live-run: sleeper ${pid} [pending]`);
    const cleanup = await chaos(state, 'cleanup');
    expect(cleanup.out).toMatch(/1 change\(s\) undone, 0 failed/);
    expect(await waitEnded(pid)).toBe(true);
  });

  it("shows another host's ledger but does not replay it without --force", async () => {
    const state = tempStateDir();
    const pid = victim();
    const drill = await owner(state, pid);
    drill.kill('SIGKILL');
    await new Promise((r) => drill.once('exit', r));
    // the same ledger as if another machine wrote it (a shared state dir)
    const file = join(state, 'ledger', 'live-run.jsonl');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/"host":"[^"]*"/, '"host":"elsewhere.example"'));

    expect((await chaos(state, 'status')).out).toContain('recorded on host elsewhere.example');
    expect((await chaos(state, 'cleanup')).out).toMatch(/0 change\(s\) undone, 0 failed, 1 running/);
    expect(processEnded(pid)).toBe(false);
    expect((await chaos(state, 'cleanup', '--force')).out).toMatch(/1 change\(s\) undone/);
    expect(await waitEnded(pid)).toBe(true);
  });
});

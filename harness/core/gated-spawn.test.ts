/**
 * The gate with real processes: a parent that is SIGKILLed between spawn and open() must leave
 * nothing running, and the command must not have run at all. The control case (open, then die)
 * proves the check would see a command that ran.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnGated } from './gated-spawn.ts';
import { processEnded } from './proc.ts';

const dir = mkdtempSync(join(tmpdir(), 'firedrill-gate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const settle = async (pid: number) => {
  for (let i = 0; i < 250 && !processEnded(pid); i++) await new Promise((r) => setTimeout(r, 20));
  return processEnded(pid);
};

/** A parent that starts `sh -c 'sleep 0.3; touch MARK'` behind the gate, prints its PID and is SIGKILLed. */
function parentThatDies(mark: string, openFirst: boolean): number {
  const code = `
    import { spawnGated } from ${JSON.stringify(join(import.meta.dirname, 'gated-spawn.ts'))};
    const { child, open } = spawnGated(['sh', '-c', 'sleep 0.3; touch "$0"', ${JSON.stringify(mark)}], {
      detached: true, outputs: ['ignore', 'ignore'],
    });
    process.stdout.write(String(child.pid));
    ${openFirst ? 'open();' : ''}
    setTimeout(() => process.kill(process.pid, 'SIGKILL'), 100);
  `;
  const parent = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
  expect(parent.signal).toBe('SIGKILL');
  return Number(parent.stdout);
}

describe('spawnGated', () => {
  it('runs the command only after open(), as the same process', async () => {
    const mark = join(dir, 'pid');
    const { child, open } = spawnGated(['sh', '-c', 'echo $$ > "$0"', mark], {
      outputs: ['ignore', 'ignore'],
    });
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    await new Promise((r) => setTimeout(r, 200));
    expect(existsSync(mark)).toBe(false);
    open();
    expect(await exited).toBe(0);
    // exec keeps the PID: what the ledger recorded is what ran
    expect(Number(readFileSync(mark, 'utf8'))).toBe(child.pid);
  });

  it('gives the command /dev/null as stdin, not the gate', async () => {
    const { child, open } = spawnGated(['sh', '-c', 'cat; echo done'], { outputs: ['pipe', 'ignore'] });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const exited = new Promise((r) => child.once('close', r));
    open();
    await exited;
    expect(out).toBe('done\n');
  });

  it('leaves nothing running, and runs nothing, when the parent dies before open()', async () => {
    const mark = join(dir, 'never');
    const pid = parentThatDies(mark, false);
    expect(pid).toBeGreaterThan(0);
    expect(await settle(pid)).toBe(true);
    await new Promise((r) => setTimeout(r, 500)); // past the command's own sleep
    expect(existsSync(mark)).toBe(false);
  });

  it('control: a command let through before the parent dies does run', async () => {
    const mark = join(dir, 'ran');
    const pid = parentThatDies(mark, true);
    expect(await settle(pid)).toBe(true);
    expect(existsSync(mark)).toBe(true);
  });
});

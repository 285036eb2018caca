/**
 * After SIGKILL of the harness mid-run, replaying the ledger leaves nothing on the machine.
 * Checked against the machine itself (processes, cgroups, directories, listening ports), not
 * against the ledger.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, expect, it } from 'vitest';
import { replayLedgers } from '../../core/ledger.ts';
import { processEnded } from '../../core/proc.ts';
import { sandbox } from '../../testing/local-sandbox.ts';
import { CGROUP_V1_ROOT } from './cgroups.ts';

const STACK_FILE = join(import.meta.dirname, '../../../fixtures/agent-agency/local-stack.yaml');
const box = sandbox('firedrill-leftover-');

/** PIDs of processes that carry the run's marker in their environment or name the sandbox. */
function processesOfRun(runId: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ');
      if (processEnded(Number(pid))) continue;
      if (environ.includes(`FIREDRILL_RUN=${runId}\0`) || cmdline.includes(box.dir))
        found.push(`${pid}: ${cmdline}`);
    } catch {
      // gone while we looked
    }
  }
  return found;
}

/** 'gone' also for a zombie: dead, only waiting for init to collect its exit status. */
const aliveState = (pid: number) => (processEnded(pid) ? 'gone' : 'running');

const refused = (url: string): Promise<boolean> =>
  new Promise((resolve) => {
    const { port } = new URL(url);
    const s = connect({ host: '127.0.0.1', port: Number(port) });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });

afterAll(async () => {
  await replayLedgers(box.ledgerDir);
  box.cleanup();
});

it('SIGKILL of the harness + ledger replay leaves no process, cgroup, dir or proxy behind', async () => {
  const runId = box.ledger.runId;
  const child = spawn(
    process.execPath,
    [
      join(import.meta.dirname, 'leftover-child.ts'),
      STACK_FILE,
      box.ledgerDir,
      runId,
      box.stateDir,
      'agent-agency-orchestrator',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`child harness exited ${code} before the stack was up`)));
  });
  const made = JSON.parse(line) as { endpoints: string[]; pids: number[]; metrics: string };
  expect(processesOfRun(runId).length).toBeGreaterThanOrEqual(8);
  const cgroupDirs = ['memory', 'cpu']
    .map((c) => join(CGROUP_V1_ROOT, c, 'firedrill', runId))
    .filter(existsSync);
  const stateDirs = readdirSync(box.stateDir).map((d) => join(box.stateDir, d));
  expect(stateDirs.length).toBeGreaterThan(0);
  const tmpBefore = readdirSync(tmpdir()).filter((d) => d.startsWith(`firedrill-pg-${child.pid}-`));

  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  // The pods live on without their harness: this is the situation cleanup exists for.
  expect(processesOfRun(runId).length).toBeGreaterThan(0);

  const result = await replayLedgers(box.ledgerDir);
  expect(result.failed).toEqual([]);

  expect(processesOfRun(runId)).toEqual([]);
  for (const dir of cgroupDirs) expect(existsSync(dir), dir).toBe(false);
  for (const dir of stateDirs) expect(existsSync(dir), dir).toBe(false);
  for (const dir of tmpBefore) expect(existsSync(join(tmpdir(), dir)), dir).toBe(false);
  for (const url of [...made.endpoints, made.metrics]) expect(await refused(url), url).toBe(true);
  for (const pid of made.pids) expect(aliveState(pid), `pid ${pid}`).toBe('gone');
});

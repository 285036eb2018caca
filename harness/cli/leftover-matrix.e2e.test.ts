/**
 * The fault-leftover matrix, local tier: every scenario x every way a drill can end. Each cell
 * runs `pnpm scenario` as a real child process on the real local platform and then checks the
 * MACHINE (footprint.ts: processes by marker or by naming the run, cgroups, the loopback ports
 * captured while the fault was live, run and temp directories, ledger files), not the ledger's
 * own account of itself.
 *
 * Interruption points and how each is really reached:
 * - normal end: the drill runs its course (whatever the verdict).
 * - phase timeout: FIREDRILL_TEST_FAULTS=remediate:hang (harness/run/test-faults.ts), so the
 *   run loop's PhaseTimeout ends the remediate phase; the record must show it.
 * - exception in remediation: FIREDRILL_TEST_FAULTS=remediate:throw; the record must show it.
 * - SIGINT while the alert is awaited (fault live), SIGTERM once remediation has begun.
 * - SIGKILL with the fault live, then `pnpm chaos cleanup`; the kill must really leave things.
 *
 * Detection runs on the built-in probes: which source notices the fault is orthogonal to what is
 * left behind, and Prometheus's own startup would add ~8 s to each of 30 cells. Extra cells:
 * SIGKILL of a drill with Prometheus (detached, without the run marker), SIGINT while the stack
 * is still coming up, SIGHUP, and the pipe its output goes to closing (EPIPE). Cells run one after
 * another; their times are printed.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prometheusInstalled } from '../detection/prometheus.ts';
import { listScenarioNames } from '../scenario/load.ts';
import { captureFootprint, leftovers } from './footprint.ts';
import {
  CELL_TIMEOUT_MS,
  expectCleanedUp,
  expectRestored,
  Matrix,
  onlyRecord,
  type StartDrill,
  standardCells,
} from './matrix.ts';
import { REPO } from './testing.ts';

const SCENARIOS = listScenarioNames(join(REPO, 'scenarios'));
const matrix = new Matrix('local');
const drillUntil = matrix.drillUntil.bind(matrix);
const timed = matrix.timed.bind(matrix);

/** The local stack is processes: a drill with its fault live has some, and listens somewhere. */
const startLocal: StartDrill = async (scenario, phase, opts) => {
  const drill = await drillUntil(scenario, phase, opts);
  expect(drill.footprint.processes.length).toBeGreaterThan(0);
  expect(drill.footprint.ports.length).toBeGreaterThan(0);
  return drill;
};

describe.each(SCENARIOS)('%s: nothing is left on the machine', { timeout: CELL_TIMEOUT_MS }, (scenario) => {
  standardCells(matrix, scenario, startLocal);

  it('after SIGKILL, once pnpm chaos cleanup has run', () =>
    timed(`${scenario} SIGKILL+cleanup`, async () => {
      const { run, state, footprint } = await drillUntil(scenario, 'detect');
      run.child.kill('SIGKILL');
      await run.exited;
      // The kill really leaves the stack behind, and each kind of check sees it: the cleanup
      // has work to do, and a check that found nothing after it could have found something.
      const left = leftovers(footprint);
      // as root a network deny drops packets with firewall rules: those are left too
      const dropsPackets = scenario === 'network-partition' && process.getuid?.() === 0;
      for (const kind of [
        'process ',
        'port ',
        'run directory ',
        'ledger ',
        ...(dropsPackets ? ['firewall rule '] : []),
      ])
        expect(left.filter((l) => l.startsWith(kind)).length, kind).toBeGreaterThan(0);
      // Redis overwrites its environment with its title, so it carries no run marker: still seen
      expect(left.some((l) => l.startsWith('process ') && l.includes('redis-server'))).toBe(true);
      await expectCleanedUp(state, footprint);
    }));
});

describe('interruption points outside the scenario matrix', { timeout: CELL_TIMEOUT_MS }, () => {
  it('SIGINT while the stack is still coming up: exits 130, leaves nothing', () =>
    timed('db-outage SIGINT during stack start', async () => {
      const { run, state } = await drillUntil('db-outage', 'preflight');
      // interrupt once the first servers are running, so there is something to take down
      let footprint = captureFootprint(run, state);
      for (let i = 0; i < 200 && footprint.processes.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 25));
        footprint = captureFootprint(run, state);
      }
      expect(footprint.processes.length).toBeGreaterThan(0);
      run.child.kill('SIGINT');
      expect(await run.exited).toBe(130);
      expect(run.stderr()).toContain('db-outage: stopped before the drill began');
      expect(leftovers(footprint)).toEqual([]);
    }));

  it('SIGHUP (the terminal closed) during detect: restores, then exits 129', () =>
    timed('db-outage SIGHUP', async () => {
      const { run, state, footprint } = await drillUntil('db-outage', 'detect');
      run.child.kill('SIGHUP');
      expect(await run.exited).toBe(129);
      expect(run.stderr()).toContain('SIGHUP received');
      expect(run.stderr()).toMatch(/db-outage: aborted .* restored/);
      expectRestored(onlyRecord(state));
      expect(leftovers(footprint)).toEqual([]);
    }));

  it('the reader of its output goes away mid-drill (`pnpm scenario ... | head`): the drill still restores', () =>
    timed('db-outage output pipe closed', async () => {
      const { run, state, footprint } = await drillUntil('db-outage', 'detect');
      run.child.stderr!.destroy(); // every later write of the harness now fails with EPIPE
      expect([0, 1]).toContain(await run.exited);
      expectRestored(onlyRecord(state));
      expect(leftovers(footprint)).toEqual([]);
    }));

  it.skipIf(!prometheusInstalled())(
    'SIGKILL of a drill detected by Prometheus, once pnpm chaos cleanup has run',
    () =>
      timed('db-outage SIGKILL+cleanup (Prometheus)', async () => {
        const { run, state, footprint } = await drillUntil('db-outage', 'detect', {
          detection: 'prometheus',
        });
        // Prometheus carries no run marker: it is found by naming the run's directory
        expect(footprint.processes.some((p) => p.includes('prometheus'))).toBe(true);
        run.child.kill('SIGKILL');
        await run.exited;
        expect(leftovers(footprint).some((l) => l.includes('prometheus'))).toBe(true);
        await expectCleanedUp(state, footprint);
      }),
  );
});

afterAll(() => {
  console.log(matrix.summary('leftover matrix'));
});

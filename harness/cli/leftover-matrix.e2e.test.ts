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
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prometheusInstalled } from '../detection/prometheus.ts';
import { listScenarioNames } from '../scenario/load.ts';
import { captureFootprint, type Footprint, leftovers } from './footprint.ts';
import { type CliRun, REPO, runCli, tempStateDir } from './testing.ts';

const SCENARIOS = listScenarioNames(join(REPO, 'scenarios'));
// one drill bounds itself by its phase deadlines; this only guards against a hung harness
const CELL_TIMEOUT_MS = 300_000;
const timings: { cell: string; seconds: number }[] = [];

interface Drill {
  readonly run: CliRun;
  readonly state: string;
  /** Captured once `phase` was announced; the fault is live from the detect phase on. */
  readonly footprint: Footprint;
}

/** Drills that ended before their fault, retried (see drillUntil): reported, not hidden. */
const retried: string[] = [];
const ATTEMPTS = 3;

/**
 * Start a drill and return once it announces `phase`. A drill can end before its fault for
 * reasons that are not this matrix's subject: on a loaded 2-core machine the probes sometimes
 * see the API slow in steady state and the drill aborts, correctly, without injecting. Such an
 * attempt must still leave nothing behind (checked), and is retried, at most ATTEMPTS times;
 * any other early exit fails the cell.
 */
async function drillUntil(
  scenario: string,
  phase: 'detect' | 'remediate' | 'preflight',
  opts: { env?: Record<string, string>; detection?: string } = {},
): Promise<Drill> {
  for (let attempt = 1; ; attempt++) {
    const state = tempStateDir();
    const run = runCli(
      'scenario.ts',
      [scenario, '--reports', join(state, 'reports'), '--detection', opts.detection ?? 'probes'],
      { FIREDRILL_STATE_DIR: state, ...opts.env },
    );
    if (phase === 'preflight') {
      await run.waitFor('preflight: waiting for the local stack to come up');
      return { run, state, footprint: captureFootprint(run, state) };
    }
    await run.waitFor('steady-state: waiting for');
    const early = captureFootprint(run, state);
    try {
      await run.waitFor(`${phase}: waiting for`);
      return { run, state, footprint: captureFootprint(run, state) };
    } catch (err) {
      const abortedBeforeFault =
        !run.stderr().includes('inject: waiting for') &&
        /: aborted .* restored {2}reason: /.test(run.stderr());
      if (!abortedBeforeFault || attempt >= ATTEMPTS) throw err;
      expect(leftovers(early)).toEqual([]);
      retried.push(`${scenario}: ${/reason: (.*)/.exec(run.stderr())?.[1] ?? 'aborted'}`);
    }
  }
}

function onlyRecord(state: string) {
  const dir = join(state, 'reports', 'runs');
  const files = readdirSync(dir);
  expect(files).toHaveLength(1);
  return JSON.parse(readFileSync(join(dir, files[0]!), 'utf8'));
}

type Event = { type: string; phase?: string; ok?: boolean; error?: string };
const events = (record: { timeline: Event[] }, type: string) =>
  record.timeline.filter((e) => e.type === type);

/** The fault was injected and reverted by the drill itself, and restore reported success. */
function expectRestored(record: { timeline: Event[]; restore: { ok: boolean; errors: string[] } }) {
  expect(events(record, 'injected')).toHaveLength(1);
  expect(events(record, 'reverted')).toMatchObject([{ ok: true }]);
  expect(record.restore).toMatchObject({ ok: true, errors: [] });
}

/** Time one cell (not asserted: reported in the summary below). */
async function timed(cell: string, body: () => Promise<void>): Promise<void> {
  const t0 = performance.now();
  try {
    await body();
  } finally {
    timings.push({ cell, seconds: (performance.now() - t0) / 1000 });
  }
}

describe.each(SCENARIOS)('%s: nothing is left on the machine', { timeout: CELL_TIMEOUT_MS }, (scenario) => {
  it('after a normal end', () =>
    timed(`${scenario} normal end`, async () => {
      const { run, state, footprint } = await drillUntil(scenario, 'detect');
      expect(footprint.processes.length).toBeGreaterThan(0);
      expect(footprint.ports.length).toBeGreaterThan(0);
      expect([0, 1]).toContain(await run.exited);
      const record = onlyRecord(state);
      expect(record.abortReason).toBeUndefined();
      expectRestored(record);
      expect(leftovers(footprint)).toEqual([]);
    }));

  it('after the remediate phase runs past its deadline', () =>
    timed(`${scenario} phase timeout`, async () => {
      const { run, state, footprint } = await drillUntil(scenario, 'detect', {
        env: { FIREDRILL_TEST_FAULTS: 'remediate:hang' },
      });
      expect(await run.exited).toBe(1);
      const record = onlyRecord(state);
      expect(events(record, 'phase.end').filter((e) => e.phase === 'remediate')).toMatchObject([
        { ok: false, error: expect.stringMatching(/^phase remediate timed out after \d+ ms$/) },
      ]);
      expect(record.limitations.join('\n')).toContain('FIREDRILL_TEST_FAULTS=remediate:hang');
      expectRestored(record);
      expect(leftovers(footprint)).toEqual([]);
    }));

  it('after an exception during remediation', () =>
    timed(`${scenario} exception`, async () => {
      const { run, state, footprint } = await drillUntil(scenario, 'detect', {
        env: { FIREDRILL_TEST_FAULTS: 'remediate:throw' },
      });
      expect(await run.exited).toBe(1);
      const record = onlyRecord(state);
      expect(events(record, 'phase.end').filter((e) => e.phase === 'remediate')).toMatchObject([
        { ok: false, error: expect.stringContaining('remediate:throw: remediation threw') },
      ]);
      expect(record.outcome).toBe('aborted');
      expectRestored(record);
      expect(leftovers(footprint)).toEqual([]);
    }));

  it.each([
    ['SIGINT', 'detect', 130],
    ['SIGTERM', 'remediate', 143],
  ] as const)('after %s during %s', (signal, phase, exitCode) =>
    timed(`${scenario} ${signal}`, async () => {
      const { run, state, footprint } = await drillUntil(scenario, phase);
      expect(footprint.processes.length).toBeGreaterThan(0);
      run.child.kill(signal);
      expect(await run.exited).toBe(exitCode);
      expect(run.stderr()).toContain(`${signal} received`);
      expect(run.stderr()).toMatch(new RegExp(`${scenario}: aborted .* restored`));
      expectRestored(onlyRecord(state));
      expect(leftovers(footprint)).toEqual([]);
    }),
  );

  it('after SIGKILL, once pnpm chaos cleanup has run', () =>
    timed(`${scenario} SIGKILL+cleanup`, async () => {
      const { run, state, footprint } = await drillUntil(scenario, 'detect');
      run.child.kill('SIGKILL');
      await run.exited;
      // The kill really leaves the stack behind, and each kind of check sees it: the cleanup
      // has work to do, and a check that found nothing after it could have found something.
      const left = leftovers(footprint);
      for (const kind of ['process ', 'port ', 'run directory ', 'ledger '])
        expect(left.filter((l) => l.startsWith(kind)).length, kind).toBeGreaterThan(0);
      // Redis overwrites its environment with its title, so it carries no run marker: still seen
      expect(left.some((l) => l.startsWith('process ') && l.includes('redis-server'))).toBe(true);
      await expectCleanedUp(state, footprint);
    }));
});

async function expectCleanedUp(state: string, footprint: Footprint) {
  const cleanup = runCli('chaos.ts', ['cleanup'], { FIREDRILL_STATE_DIR: state });
  expect(await cleanup.exited).toBe(0);
  expect(cleanup.stdout()).toMatch(/cleanup: [1-9]\d* change\(s\) undone, 0 failed/);
  expect(leftovers(footprint)).toEqual([]);
}

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
  const total = timings.reduce((s, t) => s + t.seconds, 0);
  const lines = timings.map((t) => `  ${t.cell.padEnd(44)} ${t.seconds.toFixed(1).padStart(6)} s`);
  const again = retried.map((r) => `  retried after an abort before the fault: ${r}`);
  console.log(
    `leftover matrix: ${timings.length} cells, ${total.toFixed(0)} s\n${[...lines, ...again].join('\n')}`,
  );
});

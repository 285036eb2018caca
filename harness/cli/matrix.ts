/**
 * Test support for the fault-leftover matrix (leftover-matrix*.e2e.test.ts), shared by its local
 * and kube tiers: start a real `pnpm scenario` child process, stop at an interruption point,
 * read the run record it wrote, and time the cells. What is left behind is judged elsewhere,
 * against the platform itself: footprint.ts (the machine), kube-footprint.ts (the cluster).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { captureFootprint, type Footprint, leftovers } from './footprint.ts';
import { type CliRun, runCli, tempStateDir } from './testing.ts';

/** One drill bounds itself by its phase deadlines; this only guards against a hung harness. */
export const CELL_TIMEOUT_MS = 300_000;

export interface Drill {
  readonly run: CliRun;
  readonly state: string;
  /** Captured once `phase` was announced; the fault is live from the detect phase on. */
  readonly footprint: Footprint;
}

/** Where a drill is stopped: its stack coming up, its alert awaited (fault live), its remediation. */
export type StopAt = 'preflight' | 'detect' | 'remediate';

export interface DrillOptions {
  readonly env?: Record<string, string>;
  readonly detection?: 'probes' | 'prometheus';
}

/** A drill as a tier starts it, with the tier's own check that nothing is left beyond the machine. */
export interface TierDrill extends Drill {
  readonly nothingLeft?: () => Promise<void>;
}

export type StartDrill = (scenario: string, phase: StopAt, opts?: DrillOptions) => Promise<TierDrill>;

/** Drills that ended before their fault are retried this many times at most (see drillUntil). */
const ATTEMPTS = 3;

/** The cells of one matrix tier: how each drill is started, and what each cell took. */
export class Matrix {
  private readonly platform: 'local' | 'kube';
  private readonly timings: { cell: string; seconds: number }[] = [];
  /** Drills that ended before their fault, retried: reported, not hidden. */
  private readonly retried: string[] = [];

  constructor(platform: 'local' | 'kube') {
    this.platform = platform;
  }

  /**
   * Start a drill and return once it announces `phase`. A drill can end before its fault for
   * reasons that are not this matrix's subject: on a loaded 2-core machine the probes sometimes
   * see the API slow in steady state and the drill aborts, correctly, without injecting. Such
   * an attempt must still leave nothing on the machine (checked), and is retried, at most
   * ATTEMPTS times; any other early exit fails the cell.
   */
  async drillUntil(scenario: string, phase: StopAt, opts: DrillOptions = {}): Promise<Drill> {
    for (let attempt = 1; ; attempt++) {
      const state = tempStateDir();
      const run = runCli(
        'scenario.ts',
        [
          scenario,
          '--platform',
          this.platform,
          '--reports',
          join(state, 'reports'),
          '--detection',
          opts.detection ?? 'probes',
        ],
        { FIREDRILL_STATE_DIR: state, ...opts.env },
      );
      if (phase === 'preflight') {
        await run.waitFor(`preflight: waiting for the ${this.platform} stack to come up`);
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
        this.retried.push(`${scenario}: ${/reason: (.*)/.exec(run.stderr())?.[1] ?? 'aborted'}`);
      }
    }
  }

  /** Time one cell (not asserted: reported by summary()). */
  async timed(cell: string, body: () => Promise<void>): Promise<void> {
    const t0 = performance.now();
    try {
      await body();
    } finally {
      this.timings.push({ cell, seconds: (performance.now() - t0) / 1000 });
    }
  }

  /** Per-cell times, their total and the retries, for the test log. */
  summary(title: string): string {
    const total = this.timings.reduce((s, t) => s + t.seconds, 0);
    const lines = this.timings.map((t) => `  ${t.cell.padEnd(44)} ${t.seconds.toFixed(1).padStart(6)} s`);
    const again = this.retried.map((r) => `  retried after an abort before the fault: ${r}`);
    return `${title}: ${this.timings.length} cells, ${total.toFixed(0)} s\n${[...lines, ...again].join('\n')}`;
  }
}

export function onlyRecord(state: string) {
  const dir = join(state, 'reports', 'runs');
  // run records only: a suggested runbook patch may sit next to one
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  expect(files).toHaveLength(1);
  return JSON.parse(readFileSync(join(dir, files[0]!), 'utf8'));
}

type Event = { type: string; phase?: string; ok?: boolean; error?: string };
export const events = (record: { timeline: Event[] }, type: string) =>
  record.timeline.filter((e) => e.type === type);

/** The fault was injected and reverted by the drill itself, and restore reported success. */
export function expectRestored(record: { timeline: Event[]; restore: { ok: boolean; errors: string[] } }) {
  expect(events(record, 'injected')).toHaveLength(1);
  expect(events(record, 'reverted')).toMatchObject([{ ok: true }]);
  expect(record.restore).toMatchObject({ ok: true, errors: [] });
}

/** `pnpm chaos cleanup` after a SIGKILL: it had work to do, did it all, and the machine is clean. */
export async function expectCleanedUp(state: string, footprint: Footprint) {
  const cleanup = runCli('chaos.ts', ['cleanup'], { FIREDRILL_STATE_DIR: state });
  expect(await cleanup.exited, cleanup.stdout() + cleanup.stderr()).toBe(0);
  expect(cleanup.stdout()).toMatch(/cleanup: [1-9]\d* change\(s\) undone, 0 failed/);
  expect(leftovers(footprint)).toEqual([]);
}

/** Nothing of the drill on the machine, nor where the tier looks besides. */
async function expectNothingLeft(drill: TierDrill) {
  expect(leftovers(drill.footprint)).toEqual([]);
  await drill.nothingLeft?.();
}

/**
 * The cells every tier has for one scenario, each ended its own way and each restoring by
 * itself: normal end, phase timeout and exception (the test hook FIREDRILL_TEST_FAULTS, see
 * harness/run/test-faults.ts), SIGINT while the alert is awaited, SIGTERM once remediation began.
 * Call inside a describe; the SIGKILL cell differs per tier (what the kill leaves) and is its own.
 */
export function standardCells(matrix: Matrix, scenario: string, start: StartDrill): void {
  it('after a normal end', () =>
    matrix.timed(`${scenario} normal end`, async () => {
      const drill = await start(scenario, 'detect');
      expect([0, 1]).toContain(await drill.run.exited);
      const record = onlyRecord(drill.state);
      expect(record.abortReason).toBeUndefined();
      expectRestored(record);
      await expectNothingLeft(drill);
    }));

  it('after the remediate phase runs past its deadline', () =>
    matrix.timed(`${scenario} phase timeout`, async () => {
      const drill = await start(scenario, 'detect', { env: { FIREDRILL_TEST_FAULTS: 'remediate:hang' } });
      expect(await drill.run.exited).toBe(1);
      const record = onlyRecord(drill.state);
      expect(events(record, 'phase.end').filter((e) => e.phase === 'remediate')).toMatchObject([
        { ok: false, error: expect.stringMatching(/^phase remediate timed out after \d+ ms$/) },
      ]);
      expect(record.limitations.join('\n')).toContain('FIREDRILL_TEST_FAULTS=remediate:hang');
      expectRestored(record);
      await expectNothingLeft(drill);
    }));

  it('after an exception during remediation', () =>
    matrix.timed(`${scenario} exception`, async () => {
      const drill = await start(scenario, 'detect', { env: { FIREDRILL_TEST_FAULTS: 'remediate:throw' } });
      expect(await drill.run.exited).toBe(1);
      const record = onlyRecord(drill.state);
      expect(events(record, 'phase.end').filter((e) => e.phase === 'remediate')).toMatchObject([
        { ok: false, error: expect.stringContaining('remediate:throw: remediation threw') },
      ]);
      expect(record.outcome).toBe('aborted');
      expectRestored(record);
      await expectNothingLeft(drill);
    }));

  it.each([
    ['SIGINT', 'detect', 130],
    ['SIGTERM', 'remediate', 143],
  ] as const)('after %s during %s', (signal, phase, exitCode) =>
    matrix.timed(`${scenario} ${signal}`, async () => {
      const drill = await start(scenario, phase);
      drill.run.child.kill(signal);
      expect(await drill.run.exited).toBe(exitCode);
      expect(drill.run.stderr()).toContain(`${signal} received`);
      expect(drill.run.stderr()).toMatch(new RegExp(`${scenario}: aborted .* restored`));
      expectRestored(onlyRecord(drill.state));
      await expectNothingLeft(drill);
    }),
  );
}

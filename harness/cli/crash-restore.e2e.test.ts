/**
 * A harness crash mid-drill (an error thrown outside the run loop's promise chain) must still
 * restore, like a signal does. FIREDRILL_TEST_FAULTS=detect:uncaught|detect:unhandled
 * (harness/run/test-faults.ts) throws from a timer once the fault is live, in a real
 * `pnpm scenario` child process on the real local platform; the machine is then checked
 * (footprint.ts), not the harness's own account of itself.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureFootprint, type Footprint, leftovers } from './footprint.ts';
import { type CliRun, runCli, tempStateDir } from './testing.ts';

const ATTEMPTS = 3;

/**
 * Start db-outage with the hook and return once the fault is live (detect announced). On a
 * loaded machine steady state can fail and the drill aborts before its fault, correctly; such
 * an attempt must leave nothing and is retried.
 */
async function crashingDrill(hook: string): Promise<{ run: CliRun; state: string; footprint: Footprint }> {
  for (let attempt = 1; ; attempt++) {
    const state = tempStateDir();
    const run = runCli(
      'scenario.ts',
      ['db-outage', '--reports', join(state, 'reports'), '--detection', 'probes'],
      { FIREDRILL_STATE_DIR: state, FIREDRILL_TEST_FAULTS: hook },
    );
    await run.waitFor('steady-state: waiting for');
    const early = captureFootprint(run, state);
    try {
      await run.waitFor('detect: waiting for');
      return { run, state, footprint: captureFootprint(run, state) };
    } catch (err) {
      if (run.stderr().includes('inject: waiting for') || attempt >= ATTEMPTS) throw err;
      expect(leftovers(early)).toEqual([]);
    }
  }
}

describe('pnpm scenario restores after a harness crash mid-drill', { timeout: 300_000 }, () => {
  it.each([
    ['detect:uncaught', 'uncaught exception'],
    ['detect:unhandled', 'unhandled rejection'],
  ])('%s: fault reverted, record says why, exit 70, nothing left', async (hook, what) => {
    const { run, state, footprint } = await crashingDrill(hook);
    // the footprint was taken with the fault live, before the crash began the restore
    expect(run.stderr()).not.toContain('HARNESS CRASH');
    expect(footprint.processes.length).toBeGreaterThan(0);
    expect(footprint.ports.length).toBeGreaterThan(0);

    expect(await run.exited).toBe(70);
    const err = run.stderr();
    // loud: the kind of crash, the error and where it was thrown
    expect(err).toContain(`firedrill: HARNESS CRASH (${what}), a bug in firedrill: Error: `);
    expect(err).toMatch(/\n\s+at .*test-faults\.ts:\d+/);
    expect(err).toMatch(/db-outage: aborted .* restored {2}reason: /);

    const runs = join(state, 'reports', 'runs');
    const files = readdirSync(runs).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(1);
    const record = JSON.parse(readFileSync(join(runs, files[0]!), 'utf8'));
    const reason = `${what}: FIREDRILL_TEST_FAULTS=${hook}: thrown outside the run loop during detect`;
    expect(record.outcome).toBe('aborted');
    expect(record.abortReason).toBe(reason);
    expect(record.targetsMet).toBe(false);
    expect(record.limitations.join('\n')).toContain(`FIREDRILL_TEST_FAULTS=${hook}`);
    type Event = { type: string; ok?: boolean; error?: string };
    const events = (type: string) => record.timeline.filter((e: Event) => e.type === type);
    // stopped by the crash after the fault was live, and the drill itself reverted it
    expect(events('injected')).toHaveLength(1);
    expect(events('phase.end').filter((e: Event) => e.ok === false)).toMatchObject([{ error: reason }]);
    expect(events('reverted')).toMatchObject([{ ok: true }]);
    expect(record.restore).toMatchObject({ ok: true, errors: [] });

    expect(leftovers(footprint)).toEqual([]);
  });
});

/**
 * The drill series on the real local platform (Agent Agency's stack, real Postgres, Redis,
 * Prometheus): three crash-loop drills in one series. The second runs on the stack the first
 * left, once restoreBaseline has verified it; before the third the baseline is made not to
 * verify (the one thing injected), and the series must take that stack down, processes and run
 * directory gone, and bring the third drill a fresh one. The first drill's alerts, still active
 * in the shared Prometheus as the second starts, must not reach the second's record: the rules
 * here are the fixture's with `keep_firing_for: 10s`, so they are still active then, every time
 * (checked), and a series that did not wait for them would record them. At the end nothing is
 * left.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Target } from '../config/load.ts';
import { systemClock } from '../core/clock.ts';
import { Ledger } from '../core/ledger.ts';
import { memoryLogger } from '../core/log.ts';
import { processEnded } from '../core/proc.ts';
import type { RunRecord } from '../report/record.ts';
import { loadScenario } from '../scenario/load.ts';
import type { Scenario } from '../scenario/schema.ts';
import type { DrillRequest } from './compose.ts';
import { DrillSeries, restoreBaseline } from './series.ts';

const REPO = join(import.meta.dirname, '../..');
const stateDir = mkdtempSync(join(tmpdir(), 'firedrill-series-'));
const savedStateDir = process.env.FIREDRILL_STATE_DIR;

/** PIDs the ledgers under `dir` hold for processes still to be killed: the stack's, Prometheus'. */
function ledgeredPids(dir: string): number[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) => Ledger.open(dir, basename(f, '.jsonl')).pending())
    .flatMap((e) => (e.undo.type === 'kill-process' ? [e.undo.pid] : []));
}

describe('a series of local drills', () => {
  let target: Target;
  let scenario: Scenario;
  const log = memoryLogger();
  const ups: number[] = []; // drill index at each "stack to come up"
  const pidsAt: number[][] = []; // ledgered PIDs seen during each drill's verify phase
  let drill = -1;
  const baselines: string[] = [];
  const records: RunRecord[] = [];

  beforeAll(() => {
    process.env.FIREDRILL_STATE_DIR = stateDir;
  });
  afterAll(() => {
    if (savedStateDir === undefined) delete process.env.FIREDRILL_STATE_DIR;
    else process.env.FIREDRILL_STATE_DIR = savedStateDir;
  });

  it('reuses a stack that verifies at its baseline and replaces one that does not, leaving nothing', async () => {
    target = await loadConfig(join(REPO, 'firedrill.config.ts'));
    scenario = await loadScenario('crash-loop', target.scenarios, target);
    // the same rules, each kept firing 10 s after its condition clears
    const rules = join(stateDir, 'keep-firing.yml');
    const fast = readFileSync(target.alerts!.rules.fast, 'utf8');
    writeFileSync(rules, fast.replace(/^( +)for: (\S+)$/gm, '$1for: $2\n$1keep_firing_for: 10s'));
    expect(readFileSync(rules, 'utf8').match(/keep_firing_for/g)?.length).toBe(
      fast.match(/^ +for: /gm)?.length,
    );
    target = { ...target, alerts: { ...target.alerts!, rules: { ...target.alerts!.rules, fast: rules } } };
    const activeAtBaseline: string[] = [];
    const ledgerDir = join(stateDir, 'ledger');
    const ctl = new AbortController();
    const series = new DrillSeries({
      reuseStack: true,
      // the first check between drills is the real one; the second is made to fail
      toBaseline: async (site, req) => {
        baselines.push(`before drill ${drill}`);
        if (baselines.length === 1) {
          const restored = await restoreBaseline(site, req);
          // what the next drill must not inherit is there to inherit
          activeAtBaseline.push(...(await site.prometheus!.prom.poll()).map((a) => `${a.alert} ${a.state}`));
          return restored;
        }
        return { reset: [], problems: ['made not to verify by the test'] };
      },
    });
    const request = (): DrillRequest => ({
      target,
      scenario,
      mode: 'drill',
      platform: 'local',
      variables: {},
      detection: 'auto',
      profile: 'fast',
      repoRoot: REPO,
      clock: systemClock,
      log,
      signal: ctl.signal,
      onPhase: (phase, waitingFor) => {
        if (waitingFor.includes('stack to come up')) {
          ups.push(drill);
          // the stack before this one is down: none of its processes may still run
          const alive = pidsAt.flat().filter((pid) => !processEnded(pid));
          expect(alive, `processes of the dropped stack still running at drill ${drill}`).toEqual([]);
        }
        if (phase === 'verify') pidsAt[drill] = ledgeredPids(ledgerDir);
      },
    });
    try {
      for (drill = 0; drill < 3; drill++) records.push(await series.run(request()));
    } finally {
      await series.close();
    }

    for (const r of records) {
      expect(r.outcome).toBe('resolved-by-runbook');
      expect(r.restore.ok).toBe(true);
    }
    // the drill before left its alerts firing in the same Prometheus: none reaches the next record
    const alertsBeforeInjection = (r: RunRecord) => {
      const injected = r.timeline.find((e) => e.type === 'injected')!.at.monoMs;
      return r.timeline
        .filter((e) => e.type === 'alert' && e.at.monoMs < injected)
        .map((e) => `${e['alert']} ${e['state']}`);
    };
    expect(activeAtBaseline).toContainEqual(expect.stringMatching(/ firing$/));
    // Drill 1 only: on a fresh stack (drills 0 and 2) APIHealthCheckFailure fires while
    // Prometheus has scraped nothing yet, and keep_firing_for holds it into steady state, which
    // waits it out; that is this test's rules, not a leak between drills.
    expect(alertsBeforeInjection(records[1]!)).toEqual([]);
    expect(baselines).toEqual(['before drill 1', 'before drill 2']);
    // drill 1 on drill 0's stack; drill 2 on a fresh one
    expect(ups).toEqual([0, 2]);
    expect(pidsAt[0]!.length).toBeGreaterThan(3);
    // the same processes served drill 1 (the runbook's restart of the orchestrator aside)...
    expect(pidsAt[1]!.filter((pid) => pidsAt[0]!.includes(pid)).length).toBeGreaterThan(3);
    // ...and none of them drill 2
    expect(pidsAt[2]!.filter((pid) => [...pidsAt[0]!, ...pidsAt[1]!].includes(pid))).toEqual([]);
    expect(log.lines.join('\n')).toMatch(
      /did not verify at its baseline \(made not to verify by the test\): taking it down, this drill starts a fresh one/,
    );
    // nothing left: every process gone, no pending ledger entry, no run directory
    expect(pidsAt.flat().filter((pid) => !processEnded(pid))).toEqual([]);
    expect(ledgeredPids(ledgerDir)).toEqual([]);
    expect(existsSync(join(stateDir, 'runs')) ? readdirSync(join(stateDir, 'runs')) : []).toEqual([]);
  }, 240_000);
});

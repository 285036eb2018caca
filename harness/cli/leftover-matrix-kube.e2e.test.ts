/**
 * The fault-leftover matrix, kube tier: every scenario x every way a drill can end, on the real
 * cluster (`pnpm cluster up`, or kind). Each cell runs `pnpm scenario --platform kube` as a real
 * child process, then checks the CLUSTER against a baseline captured before the cell
 * (kube-footprint.ts: workload specs, NetworkPolicies and what the node's iptables enforce, new
 * objects such as the drill lock, the mock LLM's fault controls, stressors, readiness) and the
 * MACHINE (footprint.ts: processes, ports, run and temp directories, ledger files), never the
 * ledger's own account of itself.
 *
 * The interruption points are the local tier's (leftover-matrix.e2e.test.ts), reached the same
 * way: the test hook FIREDRILL_TEST_FAULTS for the phase timeout and the exception, signals
 * for the rest. Detection runs on the built-in probes, except the SIGKILL cells, which use
 * Prometheus when installed: its process is the one thing of a kube drill on the machine that
 * outlives a killed harness. Extra cell: SIGINT while the stack comes up, with the lock held.
 *
 * Needs FIREDRILL_KUBE=1 (without it: skipped, loudly); with it, an unusable cluster FAILS.
 * One kube drill at a time per namespace: vitest.config.ts runs the kube files one after another,
 * and each cell waits (bounded) for a drill someone else holds the namespace with.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../core/clock.ts';
import { prometheusInstalled } from '../detection/prometheus.ts';
import { listScenarioNames, loadScenario } from '../scenario/load.ts';
import type { Fault } from '../scenario/schema.ts';
import { captureFootprint, leftovers } from './footprint.ts';
import { ClusterReader, type ClusterState, clusterChanges, dirtyBaseline } from './kube-footprint.ts';
import { type DrillOptions, expectCleanedUp, Matrix, type StopAt, standardCells } from './matrix.ts';
import { REPO } from './testing.ts';

const enabled = process.env['FIREDRILL_KUBE'] === '1';
if (!enabled)
  console.warn(
    'kube leftover matrix SKIPPED: it needs a real cluster. Run `pnpm cluster up`, then FIREDRILL_KUBE=1 pnpm test harness/cli/leftover-matrix-kube.e2e.test.ts',
  );

const SCENARIO_DIR = join(REPO, 'scenarios');
const SCENARIOS = listScenarioNames(SCENARIO_DIR);
// a drill (~20-60 s here), a wait for someone else's drill, and the cluster settling
const CELL_TIMEOUT_MS = 900_000;
/** Bounds, not expectations: a cell normally waits for neither. */
const BUSY_WAIT_MS = 300_000;
const SETTLE_MS = 180_000;

const matrix = new Matrix('kube');
const waits: string[] = [];
let cluster: ClusterReader;

/**
 * The baseline of a cell: the namespace free of any drill (another one may hold it: waited for),
 * rolled out and ready, and carrying no mark of an earlier drill, or nothing could be judged.
 */
async function baseline(): Promise<ClusterState> {
  const start = systemClock.now().monoMs;
  for (let holder = await cluster.lockHolder(); holder; holder = await cluster.lockHolder()) {
    if (systemClock.now().monoMs - start > BUSY_WAIT_MS)
      throw new Error(`namespace ${cluster.namespace} still held by drill ${holder}`);
    await systemClock.sleep(2000);
  }
  const waited = (systemClock.now().monoMs - start) / 1000;
  if (waited > 1) waits.push(`waited ${waited.toFixed(0)} s for another drill to free the namespace`);
  const state = await cluster.captureUntil(SETTLE_MS, (s) => s.unready.length === 0);
  expect(state.unready, 'the cluster is not ready before the cell').toEqual([]);
  expect(dirtyBaseline(state), 'an earlier drill left marks: the baseline cannot be trusted').toEqual([]);
  return state;
}

/**
 * Start a drill at its baseline and stop at `phase`; nothing left means the cluster settles back
 * to that baseline. A drill refused because another one took the namespace in between (its
 * preflight says so in one line) is started again, at most 5 times.
 */
const startKube = async (scenario: string, phase: StopAt, opts: DrillOptions = {}) => {
  for (let attempt = 1; ; attempt++) {
    const before = await baseline();
    try {
      const drill = await matrix.drillUntil(scenario, phase, opts);
      // a drill with its stack up serves the platform exporter, at least
      if (phase !== 'preflight') expect(drill.footprint.ports.length).toBeGreaterThan(0);
      return {
        ...drill,
        before,
        nothingLeft: async () => expect(await settledChanges(before)).toEqual([]),
      };
    } catch (err) {
      if (!/ is busy: /.test(String(err)) || attempt >= 5) throw err;
      waits.push(`${scenario}: refused by another drill's lock, started again`);
    }
  }
};

/** What still differs from the baseline once the cluster had time to settle (bounded). */
async function settledChanges(before: ClusterState): Promise<string[]> {
  return clusterChanges(
    before,
    await cluster.captureUntil(SETTLE_MS, (s) => clusterChanges(before, s).length === 0),
  );
}

/**
 * How the cluster checks see each fault while it is live: what a restore that skipped it would
 * leave. The SIGKILL cells require these, so every check the matrix relies on is shown to fire.
 */
function faultSeenAs(fault: Fault, enforcedReadable: boolean): RegExp[] {
  switch (fault.kind) {
    case 'bad-config-rollout':
    case 'resource-pressure':
    case 'dependency-down':
      return [new RegExp(`^workload deployment/${fault.workload} changed /spec/`)];
    case 'network-deny': {
      const policy = `firedrill-deny-${fault.from.replace(/^agent-agency-/, '')}`;
      return [
        new RegExp(`^networkpolicy ${policy} added$`),
        /^networkpolicy allow-\S+ changed \/annotations\/firedrill\.dev\/suspended-by/,
        ...(enforcedReadable ? [new RegExp(`^iptables enforce ${policy} \\(not before\\)$`)] : []),
      ];
    }
    case 'llm-rate-limit':
      return [/^mock LLM pod \S+ changed \/rateLimit: null -> \{/];
    default:
      throw new Error(`no cluster check known for fault ${fault.kind}: add one to the kube matrix`);
  }
}

describe.skipIf(!enabled)('leftover matrix, kube tier', () => {
  let enforcedReadable = false;

  beforeAll(async () => {
    try {
      cluster = new ClusterReader('agent-agency', { app: 'agent-agency-mock-llm', port: 8080 });
      enforcedReadable = (await cluster.capture()).enforced !== undefined;
    } catch (err) {
      throw new Error(`FIREDRILL_KUBE=1 but the cluster is not usable: ${String(err).split('\n')[0]}`);
    }
    await cluster.ensureDeployed(join(REPO, 'fixtures/k8s'));
  }, 900_000);

  describe.each(SCENARIOS)(
    '%s: nothing is left on the cluster or the machine',
    { timeout: CELL_TIMEOUT_MS },
    (scenario) => {
      standardCells(matrix, scenario, startKube);

      it('after SIGKILL, once pnpm chaos cleanup has run', () =>
        matrix.timed(`${scenario} SIGKILL+cleanup`, async () => {
          const prometheus = prometheusInstalled();
          const { run, state, footprint, before, nothingLeft } = await startKube(scenario, 'detect', {
            detection: prometheus ? 'prometheus' : 'probes',
          });
          run.child.kill('SIGKILL');
          await run.exited;
          // The kill really leaves things, and each check sees its kind: the cleanup has work to
          // do, and a check that finds nothing after it could have found something.
          const left = leftovers(footprint);
          for (const kind of ['run directory ', 'ledger '])
            expect(left.filter((l) => l.startsWith(kind)).length, kind).toBeGreaterThan(0);
          if (prometheus)
            expect(left.some((l) => l.startsWith('process ') && l.includes('prometheus'))).toBe(true);
          const live = clusterChanges(before, await cluster.capture());
          expect(live).toContain('object configmap/firedrill-drill-lock created');
          expect(live).toContain('object serviceaccount/firedrill-step created');
          const { fault } = await loadScenario(scenario, SCENARIO_DIR);
          for (const seen of faultSeenAs(fault, enforcedReadable))
            expect(
              live.some((l) => seen.test(l)),
              `${seen} in:\n${live.join('\n')}`,
            ).toBe(true);
          await expectCleanedUp(state, footprint);
          await nothingLeft();
        }));
    },
  );

  describe('interruption points outside the scenario matrix', { timeout: CELL_TIMEOUT_MS }, () => {
    it('SIGINT while the stack comes up, with the namespace locked: exits 130, leaves nothing', () =>
      matrix.timed('db-outage SIGINT during stack start', async () => {
        const { run, state, nothingLeft } = await startKube('db-outage', 'preflight');
        // interrupt once the lock is taken, so there is something to give back
        const locked = await cluster.captureUntil(60_000, (s) =>
          s.objects.includes('configmap/firedrill-drill-lock'),
        );
        expect(locked.objects).toContain('configmap/firedrill-drill-lock');
        const footprint = captureFootprint(run, state);
        run.child.kill('SIGINT');
        expect(await run.exited).toBe(130);
        // up() cannot be cut short mid-apply: the drill may stop right after it, aborted, restored
        expect(run.stderr()).toMatch(
          /db-outage: (stopped before the drill began|aborted .* restored {2}reason: interrupted \(SIGINT\))/,
        );
        expect(leftovers(footprint)).toEqual([]);
        await nothingLeft();
      }));
  });
});

afterAll(() => {
  if (!enabled) return;
  console.log([matrix.summary('leftover matrix (kube)'), ...waits.map((w) => `  ${w}`)].join('\n'));
});

/**
 * `pnpm bench drills`: measure the platform's floors once, then run each scenario as a real
 * drill in a child process (harness/cli/scenario.ts, unchanged) and pair every figure with
 * its floor.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../harness/core/clock.ts';
import type { Logger } from '../harness/core/log.ts';
import { loadProfileTiming } from '../harness/detection/alert-source.ts';
import { prometheusInstalled } from '../harness/detection/prometheus.ts';
import { listScenarioNames, loadScenario } from '../harness/scenario/load.ts';
import type { Scenario } from '../harness/scenario/schema.ts';
import { type DrillMeasurement, runDrillChild } from './drill-run.ts';
import { recoveryWorkload, scenarioFloors } from './floors.ts';
import { type KubeTargetOptions, measurePlatformFloors } from './platform-floors.ts';
import type { PlatformReport } from './table.ts';

export interface DrillsBenchOptions {
  readonly platform: 'local' | 'kube';
  readonly kube?: KubeTargetOptions;
  /** Scenario names; empty = every scenario. */
  readonly scenarios: readonly string[];
  readonly repeat: number;
  readonly detection: 'auto' | 'prometheus' | 'probes';
  /** Rollout restarts per workload when measuring the restart floor. */
  readonly floorRepeats: number;
  /** Per drill; the child is sent SIGTERM (and restores) after this long. */
  readonly drillTimeoutMs: number;
  /** How long in total to wait for a target another drill holds (kube's namespace lock). */
  readonly busyWaitMs: number;
  readonly repoRoot: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly progress: (line: string) => void;
}

export interface DrillsBenchResult extends PlatformReport {
  /** 1-minute load average as each drill started: the machine is shared. */
  readonly loadAverage1mAtStart: readonly number[];
}

/** Every named scenario, validated before anything starts. Throws UserError on an unknown name. */
export async function loadScenarios(repoRoot: string, names: readonly string[]): Promise<Scenario[]> {
  const dir = join(repoRoot, 'scenarios');
  const selected = names.length ? names : listScenarioNames(dir);
  const out: Scenario[] = [];
  for (const name of selected) out.push(await loadScenario(name, dir));
  return out;
}

/** The kube platform's refusal when another drill holds the namespace (harness/platforms/kube/lock.ts). */
export const isBusyRefusal = (message: string | undefined): boolean =>
  message !== undefined && /is busy: drill \S+ runs there/.test(message);

const BUSY_RETRY_MS = 15_000;

/**
 * Run `attempt` until it is not refused for a busy target, waiting between tries, within a
 * total budget: on a shared cluster the lock says "later", not "broken".
 */
export async function retryWhileBusy<T>(
  attempt: () => Promise<T>,
  busyReason: (result: T | Error) => boolean,
  o: { budgetMs: number; clock: Clock; signal: AbortSignal; progress: (line: string) => void },
): Promise<T> {
  for (let waitedMs = 0; ; waitedMs += BUSY_RETRY_MS) {
    let result: T | Error;
    try {
      result = await attempt();
    } catch (err) {
      result = err instanceof Error ? err : new Error(String(err));
    }
    const busy = busyReason(result);
    if (!busy || waitedMs + BUSY_RETRY_MS > o.budgetMs || o.signal.aborted) {
      if (result instanceof Error) throw result;
      return result;
    }
    o.progress(`  target busy (another drill holds it); retrying in ${BUSY_RETRY_MS / 1000} s`);
    await o.clock.sleep(BUSY_RETRY_MS, o.signal);
  }
}

/** The workloads whose restart ends the scenarios' outages: what the restart floor measures. */
export const recoveryWorkloads = (scenarios: readonly Scenario[]): string[] => [
  ...new Set(scenarios.map((s) => recoveryWorkload(s.fault)).filter((w): w is string => !!w)),
];

/** The detection a drill will use with `--detection <d>` on this machine. */
export const expectedSource = (d: DrillsBenchOptions['detection']): 'probes' | 'prometheus' =>
  d === 'probes' || (d === 'auto' && !prometheusInstalled()) ? 'probes' : 'prometheus';

export async function runDrillsBench(o: DrillsBenchOptions): Promise<DrillsBenchResult> {
  const scenarios = await loadScenarios(o.repoRoot, o.scenarios);
  const timing = loadProfileTiming('fast');
  const workloads = recoveryWorkloads(scenarios);
  // Without a record (a drill that failed) the floor uses the source the drill would have used.
  const source = expectedSource(o.detection);
  const retry = { budgetMs: o.busyWaitMs, clock: o.clock, signal: o.signal, progress: o.progress };
  const floors = await retryWhileBusy(
    () =>
      measurePlatformFloors(
        {
          platform: o.platform,
          ...(o.kube ? { kube: o.kube } : {}),
          repoRoot: o.repoRoot,
          clock: o.clock,
          log: o.log,
        },
        {
          workloads,
          repeats: o.floorRepeats,
          measurePrometheus: source === 'prometheus',
          signal: o.signal,
          progress: o.progress,
        },
      ),
    (r) => r instanceof Error && isBusyRefusal(r.message),
    retry,
  );

  const runs: DrillsBenchResult['runs'][number][] = [];
  const loads: number[] = [];
  const total = scenarios.length * o.repeat;
  for (const scenario of scenarios) {
    for (let i = 1; i <= o.repeat && !o.signal.aborted; i++) {
      const load1 = loadavg()[0] ?? 0;
      loads.push(load1);
      o.progress(
        `drill ${runs.length + 1}/${total} on ${o.platform}: ${scenario.name}${o.repeat > 1 ? ` #${i}` : ''} (load average ${load1.toFixed(2)})`,
      );
      const m: DrillMeasurement = await retryWhileBusy(
        () =>
          runDrillChild({
            scenario: scenario.name,
            platform: o.platform,
            iteration: i,
            extraArgs: [
              '--profile',
              'fast',
              '--detection',
              o.detection,
              ...(o.kube?.kubeconfig ? ['--kubeconfig', o.kube.kubeconfig] : []),
              ...(o.kube?.context ? ['--context', o.kube.context] : []),
            ],
            repoRoot: o.repoRoot,
            clock: o.clock,
            onLine: (l, ms) => o.progress(`  ${scenario.name} +${(ms / 1000).toFixed(1)}s | ${l}`),
            timeoutMs: o.drillTimeoutMs,
            signal: o.signal,
          }),
        (r) => (r instanceof Error ? false : !r.record && isBusyRefusal(r.error)),
        retry,
      );
      const drillSource = m.record?.detectionSource ?? source;
      runs.push({ measurement: m, floors: scenarioFloors(scenario, drillSource, timing, floors) });
      o.progress(
        `  ${scenario.name}: ${m.record?.outcome ?? `no record (${m.error})`} in ${(m.wallMs / 1000).toFixed(1)} s`,
      );
    }
    if (o.signal.aborted) break;
  }
  return { platform: o.platform, floors, runs, loadAverage1mAtStart: loads };
}

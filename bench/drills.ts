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

export async function runDrillsBench(o: DrillsBenchOptions): Promise<DrillsBenchResult> {
  const scenarios = await loadScenarios(o.repoRoot, o.scenarios);
  const timing = loadProfileTiming('fast');
  const workloads = [
    ...new Set(scenarios.map((s) => recoveryWorkload(s.fault)).filter((w): w is string => !!w)),
  ];
  // Without a record (a drill that failed) the floor uses the source the drill would have used.
  const expectedSource =
    o.detection === 'probes' || (o.detection === 'auto' && !prometheusInstalled()) ? 'probes' : 'prometheus';
  const floors = await measurePlatformFloors(
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
      measurePrometheus: expectedSource === 'prometheus',
      signal: o.signal,
      progress: o.progress,
    },
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
      const m: DrillMeasurement = await runDrillChild({
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
      });
      const source = m.record?.detectionSource ?? expectedSource;
      runs.push({ measurement: m, floors: scenarioFloors(scenario, source, timing, floors) });
      o.progress(
        `  ${scenario.name}: ${m.record?.outcome ?? `no record (${m.error})`} in ${(m.wallMs / 1000).toFixed(1)} s`,
      );
    }
    if (o.signal.aborted) break;
  }
  return { platform: o.platform, floors, runs, loadAverage1mAtStart: loads };
}

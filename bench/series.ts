/**
 * `pnpm bench series`: `pnpm scenario --all` on local, in one child process, as a user runs
 * it: Prometheus and the stack stay up across the drills, and before each drill after the
 * first the baseline is restored and verified (harness/run/series.ts). Prints the
 * invocation's wall time next to its floor and where each drill's share went.
 *   Series floor: node start + stack up + what Prometheus start adds beyond the first drill's
 *   steady state + per drill (steady state + MTTD floor + restart + recovery window) + stack
 *   down. The baseline checks between drills count 0 in it: their floor depends on how long
 *   the user's rules keep an alert active after the fault is gone.
 */
import { loadavg } from 'node:os';
import type { Clock } from '../harness/core/clock.ts';
import type { Logger } from '../harness/core/log.ts';
import type { Phase } from '../harness/core/timeline.ts';
import { loadProfileTiming } from '../harness/detection/alert-source.ts';
import type { RunRecord } from '../harness/report/record.ts';
import {
  type ChildRun,
  childFootprint,
  parseRecordsOutput,
  phaseDurations,
  runHarnessChild,
} from './drill-run.ts';
import { expectedSource, loadScenarios, recoveryWorkloads } from './drills.ts';
import { type PlatformFloors, type ScenarioFloors, scenarioFloors, type WallFloorTerms } from './floors.ts';
import { measurePlatformFloors } from './platform-floors.ts';
import { renderTable, seconds } from './table.ts';

/** Issue 20: `pnpm scenario --all` on local within 45 s on this 2-core machine. */
export const SERIES_GOAL_MS = 45_000;

export interface SeriesDrill {
  readonly scenario: string;
  readonly outcome: RunRecord['outcome'];
  /** The previous drill's end to this one's start: its baseline restored and verified (null for the first). */
  readonly baselineMs: number | null;
  /** This drill's start to its end (steady state to restore). */
  readonly spanMs: number;
  readonly phasesMs: Partial<Record<Phase, number>>;
  readonly mttdMs: number | null;
  readonly mttrMs: number | null;
  readonly floors: ScenarioFloors;
}

export interface SeriesBenchResult {
  readonly platform: 'local';
  readonly floors: PlatformFloors;
  readonly wallMs: number;
  readonly exitCode: number | null;
  /** Spawn to the first drill's start: node, imports, stack up, Prometheus's launch. */
  readonly firstStartMs: number | null;
  /** The last drill's end to exit: stack and Prometheus down, reports. */
  readonly teardownMs: number | null;
  readonly drills: readonly SeriesDrill[];
  readonly floorMs: number;
  readonly peakRssMb: number | null;
  readonly loadAverage1mAtStart: number;
  /** Why there are fewer records than scenarios, if there are. */
  readonly error?: string;
}

/** One drill's share of a series at its floors: steady state, detection, restart, recovery window. */
const drillFloorMs = (t: WallFloorTerms): number =>
  t.steadyStateMs + t.detectionMs + t.restartMs + t.recoveryWindowMs;

/** The series floor from each drill's floors (in run order): start-up once, the drill cores, stack down once. */
export function seriesFloorMs(drills: readonly ScenarioFloors[]): number {
  const first = drills[0]?.wallTerms;
  if (!first) return 0;
  const core = drills.reduce((sum, d) => sum + drillFloorMs(d.wallTerms), 0);
  return first.processStartMs + first.stackUpMs + first.detectionStartMs + core + first.stackDownMs;
}

/** Each record as a row of the series, in the order they ran. */
export function seriesDrills(
  records: readonly RunRecord[],
  floorsOf: (r: RunRecord) => ScenarioFloors,
): SeriesDrill[] {
  return records.map((r, i) => {
    const previous = records[i - 1];
    return {
      scenario: r.scenario.name,
      outcome: r.outcome,
      baselineMs: previous ? Date.parse(r.startedAt) - Date.parse(previous.finishedAt) : null,
      spanMs: Date.parse(r.finishedAt) - Date.parse(r.startedAt),
      phasesMs: phaseDurations(r.timeline),
      mttdMs: r.metrics.mttdMs ?? null,
      mttrMs: r.metrics.mttrMs ?? null,
      floors: floorsOf(r),
    };
  });
}

export interface SeriesBenchOptions {
  readonly detection: 'auto' | 'prometheus' | 'probes';
  readonly floorRepeats: number;
  /** The platform floors when the drills bench has just measured them. */
  readonly floors?: PlatformFloors;
  readonly timeoutMs: number;
  readonly repoRoot: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly progress: (line: string) => void;
}

export async function runSeriesBench(o: SeriesBenchOptions): Promise<SeriesBenchResult> {
  const scenarios = await loadScenarios(o.repoRoot, []);
  const timing = loadProfileTiming('fast');
  const floors =
    o.floors ??
    (await measurePlatformFloors(
      { platform: 'local', repoRoot: o.repoRoot, clock: o.clock, log: o.log },
      {
        workloads: recoveryWorkloads(scenarios),
        repeats: o.floorRepeats,
        measurePrometheus: expectedSource(o.detection) === 'prometheus',
        signal: o.signal,
        progress: o.progress,
      },
    ));
  const load1 = loadavg()[0] ?? 0;
  o.progress(
    `series on local: pnpm scenario --all, ${scenarios.length} drills (load average ${load1.toFixed(2)})`,
  );
  const child: ChildRun = await runHarnessChild(['--all'], {
    platform: 'local',
    extraArgs: ['--profile', 'fast', '--detection', o.detection],
    repoRoot: o.repoRoot,
    clock: o.clock,
    onLine: (l, ms) => o.progress(`  --all +${(ms / 1000).toFixed(1)}s | ${l}`),
    timeoutMs: o.timeoutMs,
    signal: o.signal,
  });
  let records: RunRecord[] = [];
  let error: string | undefined;
  try {
    records = parseRecordsOutput(child.stdout);
  } catch (err) {
    // why the records did not parse, then the child's last words (its own error, if it failed)
    error = `${err instanceof Error ? err.message : String(err)}${child.lastError ? `; last line: ${child.lastError}` : ''}`;
  }
  if (!error && records.length < scenarios.length)
    error = `${records.length} of ${scenarios.length} drills left a record: ${child.lastError}`;
  const byName = new Map(scenarios.map((s) => [s.name, s]));
  const drills = seriesDrills(records, (r) => {
    const scenario = byName.get(r.scenario.name);
    if (!scenario) throw new Error(`a record of scenario ${r.scenario.name}, which --all did not list`);
    return scenarioFloors(scenario, r.detectionSource, timing, floors);
  });
  const first = records[0];
  const last = records.at(-1);
  return {
    platform: 'local',
    floors,
    wallMs: child.wallMs,
    exitCode: child.exitCode,
    firstStartMs: first ? Date.parse(first.startedAt) - child.spawnedAtWallMs : null,
    teardownMs: last ? child.exitedAtWallMs - Date.parse(last.finishedAt) : null,
    drills,
    floorMs: seriesFloorMs(drills.map((d) => d.floors)),
    peakRssMb: childFootprint(child).peakRssMb,
    loadAverage1mAtStart: load1,
    ...(error ? { error } : {}),
  };
}

/** One row per drill in run order, then the total next to its floor and the goal. */
export function formatSeries(r: SeriesBenchResult): string[] {
  const rows = r.drills.map((d) => [
    d.scenario,
    d.outcome,
    seconds(d.baselineMs),
    seconds(d.phasesMs['steady-state']),
    `${seconds(d.mttdMs)} (${seconds(d.floors.detection.minMs)})`,
    seconds(d.phasesMs.remediate),
    `${seconds(d.mttrMs)} (${seconds(d.floors.mttrMs)})`,
    seconds(d.spanMs),
    seconds(drillFloorMs(d.floors.wallTerms)),
  ]);
  const met = r.error === undefined && r.wallMs <= SERIES_GOAL_MS;
  return [
    ...renderTable(
      [
        'scenario',
        'outcome',
        'baseline',
        'steady',
        'MTTD (floor)',
        'remediate',
        'MTTR (floor)',
        'drill',
        'drill floor',
      ],
      rows,
    ),
    '',
    `wall ${seconds(r.wallMs)} s (floor ${seconds(r.floorMs)} s): first drill started at ${seconds(r.firstStartMs)} s, ` +
      `baseline checks between drills ${seconds(r.drills.reduce((s, d) => s + (d.baselineMs ?? 0), 0))} s, ` +
      `after the last drill ${seconds(r.teardownMs)} s; harness peak RSS ${r.peakRssMb === null ? '—' : Math.round(r.peakRssMb)} MB`,
    '  drill floor = steady state (N-1)×interval + `for` of the fastest alert + restart + recovery window (N-1)×interval;',
    '  series floor = node start + stack up + what Prometheus start adds + the drill floors + stack down',
    `goal: pnpm scenario --all on local <= ${SERIES_GOAL_MS / 1000} s: ${met ? 'yes' : 'NO'} (${seconds(r.wallMs)} s, ` +
      `${(r.wallMs / SERIES_GOAL_MS).toFixed(2)}× the goal; the floor alone is ${seconds(r.floorMs)} s)`,
    ...(r.error ? [`  !!! ${r.error}`] : []),
  ];
}

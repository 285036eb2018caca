/**
 * The drill benchmark as text: one row per run with each figure next to its floor, a phase
 * breakdown, how the floors were made up, and whether the issue's goals were met.
 */
import { distribution } from '../harness/core/metrics.ts';
import type { DrillMeasurement } from './drill-run.ts';
import type { PlatformFloors, ScenarioFloors } from './floors.ts';

/**
 * Issues 4 and 20's goals on a 2-core machine: per drill wall time and harness RSS on each
 * platform (kube's RSS goal allows for client-node), and wall/MTTR on local.
 */
export const GOALS = {
  local: { wallMs: 20_000, rssMb: 150, wallPerMttr: 2.0 },
  kube: { wallMs: 45_000, rssMb: 190, wallPerMttr: null },
} as const;

export interface GoalCheck {
  /** null: not applicable or not measured. */
  readonly wall: boolean | null;
  readonly rss: boolean | null;
  /** wall/MTTR within GOALS.local.wallPerMttr (local, a drill with an MTTR). */
  readonly ratio: boolean | null;
}

/** The RSS goal holds for each harness process: the drill's and the one that renders its reports. */
export function checkGoals(
  m: Pick<DrillMeasurement, 'platform' | 'wallMs' | 'peakRssMb' | 'reportPeakRssMb' | 'record'>,
): GoalCheck {
  const ratio = wallPerMttr(m);
  const goals = GOALS[m.platform];
  return {
    ratio: goals.wallPerMttr !== null && ratio !== null ? ratio <= goals.wallPerMttr : null,
    wall: m.wallMs <= goals.wallMs,
    rss: m.peakRssMb === null ? null : Math.max(m.peakRssMb, m.reportPeakRssMb ?? 0) < goals.rssMb,
  };
}

export const seconds = (ms: number | null | undefined, digits = 1): string =>
  ms === null || ms === undefined ? '—' : (ms / 1000).toFixed(digits);

const mark = (ok: boolean | null): string => (ok === null ? 'n/a' : ok ? 'yes' : 'NO');

/** Columns padded to their widest cell; the first column left-aligned, the rest right-aligned. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

export interface PlatformReport {
  readonly platform: 'local' | 'kube';
  readonly floors: PlatformFloors;
  readonly runs: readonly { measurement: DrillMeasurement; floors: ScenarioFloors | null }[];
}

const pair = (value: string, floor: string) => `${value} (${floor})`;

export function formatDrillTable(report: PlatformReport): string[] {
  const rows = report.runs.map(({ measurement: m, floors: f }) => {
    const goals = checkGoals(m);
    const r = m.record;
    return [
      m.scenario,
      String(m.iteration),
      r?.outcome ?? `failed (exit ${m.exitCode ?? m.signal})`,
      pair(seconds(m.wallMs), seconds(f?.wallMs)),
      pair(
        seconds(r?.metrics.mttdMs),
        f ? `${seconds(f.detection.minMs)}–${seconds(f.detection.maxMs)}` : '—',
      ),
      pair(seconds(r?.metrics.mttrMs), seconds(f?.mttrMs)),
      m.peakRssMb === null ? '—' : m.peakRssMb.toFixed(0),
      m.reportPeakRssMb === null ? '—' : m.reportPeakRssMb.toFixed(0),
      m.cpuUserS === null || m.cpuSystemS === null ? '—' : (m.cpuUserS + m.cpuSystemS).toFixed(1),
      mark(goals.wall),
      mark(goals.rss),
    ];
  });
  return renderTable(
    [
      'scenario',
      '#',
      'outcome',
      'wall s (floor)',
      'MTTD s (floor)',
      'MTTR s (floor)',
      'RSS MB',
      'reports MB',
      'CPU s',
      `wall<=${GOALS[report.platform].wallMs / 1000}s`,
      `RSS<${GOALS[report.platform].rssMb}MB`,
    ],
    rows,
  );
}

/** wall / MTTR: how much of a drill is the incident itself (issue 20: at most 2.0 on local). */
export const wallPerMttr = (m: Pick<DrillMeasurement, 'wallMs' | 'record'>): number | null => {
  const mttr = m.record?.metrics.mttrMs;
  return mttr ? m.wallMs / mttr : null;
};

/**
 * Where each run's wall time went, in order: process start, stack up, steady state, MTTD next
 * to its floor (`for` .. scrape + evaluation + `for`), remediate, verify, restore (faults
 * reverted and the stack down), reports; then wall and wall/MTTR.
 */
export function formatPhaseTable(report: PlatformReport): string[] {
  const rows = report.runs.map(({ measurement: m, floors: f }) => {
    const ratio = wallPerMttr(m);
    return [
      m.scenario,
      String(m.iteration),
      seconds(m.split.processStartMs),
      seconds(m.split.stackUpMs),
      seconds(m.phasesMs['steady-state']),
      pair(
        seconds(m.record?.metrics.mttdMs),
        f ? `${seconds(f.detection.minMs)}–${seconds(f.detection.maxMs)}` : '—',
      ),
      seconds(m.phasesMs.remediate),
      seconds(m.phasesMs.verify),
      seconds(m.split.restoreMs),
      seconds(m.split.reportsMs),
      seconds(m.wallMs),
      ratio === null ? '—' : ratio.toFixed(2),
      m.record?.detectionSource ?? '—',
      f ? `${f.detection.alert} (for ${seconds(f.detection.forMs)})` : '—',
    ];
  });
  return renderTable(
    [
      'scenario',
      '#',
      'start',
      'stack up',
      'steady',
      'MTTD (floor)',
      'remediate',
      'verify',
      'restore',
      'reports',
      'wall',
      'wall/MTTR',
      'detection',
      'fastest alert',
    ],
    rows,
  );
}

export function formatFloorLegend(floors: PlatformFloors, example?: ScenarioFloors): string[] {
  const restarts = Object.entries(floors.restart).map(
    ([w, r]) => `${w} ${seconds(r.firstReadyMs, 2)} s (all instances ${seconds(r.rolledOutMs, 2)} s)`,
  );
  const lines = [
    `floors measured on ${floors.platform}: bare node process start to listening ${seconds(floors.processStartMs, 2)} s; ` +
      `stack up alone ${seconds(floors.stackUpMs)} s, down ${seconds(floors.stackDownMs)} s; ` +
      `Prometheus start ${floors.prometheusStartMs === null ? 'not measured (not installed, or probes)' : `${seconds(floors.prometheusStartMs)} s`}`,
    `  rollout restart to first ready instance: ${restarts.join('; ') || 'none measured'}`,
    '  MTTD floor = `for` of the fastest expected alert – plus scrape (probe) interval + evaluation interval',
    "    (not included: the run loop's 0.5 s alert poll, the gap until traffic or a dependency check shows the fault)",
    '  MTTR floor = MTTD floor (`for`) + restart to first ready instance of the remediated workload',
    '  wall floor = node start + stack up + steady state (N-1)×interval + what Prometheus start (if it detects) adds beyond those two (it starts with the stack) + MTTD floor + restart + recovery window (N-1)×interval + stack down',
  ];
  if (example) {
    const t = example.wallTerms;
    lines.push(
      `  e.g. ${seconds(t.processStartMs, 2)} + ${seconds(t.stackUpMs)} + ${seconds(t.steadyStateMs)} + ${seconds(t.detectionStartMs)} + ${seconds(t.detectionMs)} + ` +
        `${seconds(t.restartMs, 2)} + ${seconds(t.recoveryWindowMs)} + ${seconds(t.stackDownMs)} = ${seconds(example.wallMs)} s`,
    );
  }
  return lines;
}

/** Per scenario across repeats: p50 and max of the figures (only when a scenario ran more than once). */
export function formatRepeatSummary(report: PlatformReport): string[] {
  const byScenario = new Map<string, DrillMeasurement[]>();
  for (const { measurement } of report.runs)
    byScenario.set(measurement.scenario, [...(byScenario.get(measurement.scenario) ?? []), measurement]);
  const rows: string[][] = [];
  for (const [name, ms] of byScenario) {
    if (ms.length < 2) continue;
    const d = (xs: (number | null | undefined)[], scale = 1000) => {
      const dist = distribution(xs);
      return dist.n === 0
        ? '—'
        : `${((dist.p50 ?? 0) / scale).toFixed(1)} / ${((dist.max ?? 0) / scale).toFixed(1)}`;
    };
    rows.push([
      name,
      String(ms.length),
      d(ms.map((m) => m.wallMs)),
      d(ms.map((m) => m.record?.metrics.mttdMs)),
      d(ms.map((m) => m.record?.metrics.mttrMs)),
      d(
        ms.map((m) => m.peakRssMb),
        1,
      ),
    ]);
  }
  if (rows.length === 0) return [];
  return renderTable(
    ['scenario', 'n', 'wall s p50/max', 'MTTD s p50/max', 'MTTR s p50/max', 'RSS MB p50/max'],
    rows,
  );
}

const medianRatio = (report: PlatformReport): string => {
  const p50 = distribution(report.runs.map(({ measurement }) => wallPerMttr(measurement))).p50;
  return p50 === null || p50 === undefined ? '—' : p50.toFixed(2);
};

/**
 * wall floor / MTTR floor per scenario: what the ratio would be if every term sat at its floor.
 * Above the goal, no speed-up can meet it on these windows; only a longer MTTR could.
 */
export function formatFloorRatios(report: PlatformReport): string | undefined {
  const goal = GOALS[report.platform].wallPerMttr;
  const ratios = new Map<string, number>();
  for (const { measurement: m, floors: f } of report.runs)
    if (f?.mttrMs) ratios.set(m.scenario, f.wallMs / f.mttrMs);
  if (goal === null || ratios.size === 0) return undefined;
  const below = [...ratios.values()].filter((r) => r <= goal).length;
  return `  wall/MTTR with every term at its floor: ${[...ratios].map(([s, r]) => `${s} ${r.toFixed(2)}`).join(', ')} (${below}/${ratios.size} within ${goal})`;
}

export function formatGoalSummary(report: PlatformReport): string {
  const checks = report.runs.map(({ measurement }) => checkGoals(measurement));
  const count = (k: keyof GoalCheck) =>
    `${checks.filter((c) => c[k] === true).length}/${checks.filter((c) => c[k] !== null).length}`;
  const goals = GOALS[report.platform];
  const ratio =
    goals.wallPerMttr === null
      ? ''
      : `; wall/MTTR <= ${goals.wallPerMttr}: ${count('ratio')} runs (median ${medianRatio(report)})`;
  return `goals on ${report.platform}: wall <= ${goals.wallMs / 1000} s: ${count('wall')} runs${ratio}; harness peak RSS < ${goals.rssMb} MB (drill process and report process each): ${count('rss')} runs`;
}

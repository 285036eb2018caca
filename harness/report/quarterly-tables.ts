/**
 * The quarterly review's tables as plain data, rendered by both the Markdown and the HTML
 * writer, so the two formats always show the same numbers.
 */
import type { ScenarioKpis } from './aggregate.ts';
import { fmtDuration, fmtMinutes, fmtP95, fmtRatio, fmtWall } from './format.ts';
import { kpiRows, type QuarterlyReport } from './quarterly.ts';
import type { LevelSummary } from './response-times.ts';
import { type WeekPoint, weekLabel } from './trends.ts';
import { FINDING_LABEL } from './verdict.ts';

/** A cell: text, a command shown as code, or a met/missed mark. */
export type Cell = string | { readonly code: string } | { readonly met: boolean | null };

export interface Table {
  readonly header: readonly string[];
  readonly rows: readonly (readonly Cell[])[];
  /** Columns holding numbers (right-aligned in HTML). */
  readonly numeric: readonly number[];
}

export function kpiTable(q: QuarterlyReport): Table {
  return {
    header: ['KPI', 'runbook target', 'measured', 'status', 'note'],
    rows: kpiRows(q).map((k) => [k.kpi, k.target, k.measured, { met: k.met }, k.note]),
    numeric: [],
  };
}

const faultScenarios = (q: QuarterlyReport) => q.scenarios.filter((s) => s.faultRuns > 0);

const target = (ms: number | undefined) => (ms === undefined ? '—' : `< ${fmtDuration(ms)}`);

export function timingTable(q: QuarterlyReport): Table {
  const row = (s: ScenarioKpis): Cell[] => [
    s.scenario,
    String(s.mttd.n),
    fmtDuration(s.mttd.mean),
    fmtDuration(s.mttd.p50),
    fmtP95(s.mttd),
    target(s.targets?.mttdMs),
    { met: s.mttdMet },
    String(s.mttr.n),
    fmtDuration(s.mttr.mean),
    fmtDuration(s.mttr.p50),
    fmtP95(s.mttr),
    target(s.targets?.mttrMs),
    { met: s.mttrMet },
  ];
  return {
    header: [
      'scenario',
      'n',
      'MTTD mean',
      'p50',
      'p95',
      'target',
      '',
      'n',
      'MTTR mean',
      'p50',
      'p95',
      'target',
      '',
    ],
    rows: [...faultScenarios(q).map(row), row(q.overall)],
    numeric: [1, 2, 3, 4, 5, 7, 8, 9, 10, 11],
  };
}

export function processTable(q: QuarterlyReport): Table {
  const row = (s: ScenarioKpis): Cell[] => [
    s.scenario,
    String(s.faultRuns),
    String(s.aborted),
    fmtRatio(s.detectionRate),
    fmtRatio(s.runbookAccuracy),
    fmtRatio(s.escalationRate),
    fmtRatio(s.recurrenceRate),
    fmtMinutes(s.customerImpactMs),
    s.worstSeverity,
    fmtRatio(s.responseTimeMet),
    fmtRatio(s.onCallResponse),
    fmtDue(s.escalationsDue),
    s.withoutMttr ? `${s.withoutMttr} never recovered` : '',
  ];
  return {
    header: [
      'scenario',
      'fault runs',
      'aborted',
      'detection',
      'runbook accuracy',
      'escalation',
      'recurrence (30 d)',
      'customer impact',
      'worst observed severity',
      'detected within its response time',
      'on-call (L1) started within its response time',
      'escalations due (not measurable)',
      '',
    ],
    rows: [...faultScenarios(q).map(row), row(q.overall)],
    numeric: [1, 2, 7],
  };
}

/** "L2 ×3, L3 ×1": in how many runs each level above the on-call was due. */
const fmtDue = (due: Readonly<Record<string, number>>) =>
  Object.entries(due)
    .map(([level, runs]) => `${level} ×${runs}`)
    .join(', ') || 'none';

/**
 * The runbook's escalation contacts against the drills: L1 (the on-call the harness stands in
 * for) met or missed; the levels above only "due by", since no one answers in a drill.
 */
export function responseTable(q: QuarterlyReport): Table {
  const dueBy = (l: LevelSummary) =>
    l.runsDue === 0
      ? '—'
      : `${fmtDuration(l.deadlineAfterInjection.p50)} / ${fmtDuration(l.deadlineAfterInjection.max)}`;
  return {
    header: [
      'level',
      'contact',
      'response time',
      'runbook',
      'runs due',
      'met',
      'missed',
      'not measurable',
      'due by, after injection (p50 / max)',
    ],
    rows: q.responseLevels.map((l) => [
      l.level,
      l.contact,
      l.responseTime,
      { code: `${l.file}:${l.line}` },
      String(l.runsDue),
      String(l.met),
      String(l.missed),
      String(l.notMeasurable),
      dueBy(l),
    ]),
    numeric: [4, 5, 6, 7],
  };
}

export function outcomesTable(q: QuarterlyReport): Table {
  const names = Object.keys(q.overall.outcomes);
  const row = (s: ScenarioKpis): Cell[] => [
    s.scenario,
    ...names.map((o) => String(s.outcomes[o as keyof typeof s.outcomes])),
  ];
  return {
    header: ['scenario', ...names],
    rows: [...faultScenarios(q).map(row), row(q.overall)],
    numeric: names.map((_, i) => i + 1),
  };
}

export function falsePositiveTables(q: QuarterlyReport): {
  perScenario: Table;
  perAlert: Table;
  unexpected: Table;
} {
  const withControls = q.scenarios.filter((s) => s.controlRuns > 0);
  const o = q.overall;
  const alertRows = (counts: Readonly<Record<string, number>>, den: number): Cell[][] =>
    Object.entries(counts)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([alert, n]) => [alert, String(n), fmtRatio({ num: n, den })]);
  return {
    perScenario: {
      header: ['control scenario', 'control runs', 'runs with anything firing', 'false-positive rate'],
      rows: withControls.map((s) => [
        s.scenario,
        String(s.controlRuns),
        String(s.falsePositiveRate.num),
        fmtRatio(s.falsePositiveRate),
      ]),
      numeric: [1, 2],
    },
    perAlert: {
      header: ['alert', 'control runs it fired in', 'share of control runs'],
      rows: alertRows(o.falsePositiveAlerts, o.controlRuns),
      numeric: [1],
    },
    unexpected: {
      header: ['alert', 'fault runs where it fired unexpectedly', 'share of fault runs'],
      rows: alertRows(o.unexpectedAlerts, o.faultRuns),
      numeric: [1],
    },
  };
}

/**
 * Counterfactual runs answer "was the runbook needed at all?": if the system recovers on its
 * own without remediation, the runbook's steps were not what fixed it.
 */
export function counterfactualTable(q: QuarterlyReport): Table {
  const rows = q.scenarios
    .filter((s) => s.counterfactualRuns > 0)
    .map((s): Cell[] => {
      const healed = s.counterfactualOutcomes['self-healed'] ?? 0;
      const outcomes = Object.entries(s.counterfactualOutcomes)
        .map(([o, n]) => `${o} ×${n}`)
        .join(', ');
      const verdict =
        healed === 0
          ? 'yes: it never recovered without remediation'
          : healed === s.counterfactualRuns
            ? 'not shown: it recovered on its own every time'
            : `sometimes: recovered on its own in ${healed} of ${s.counterfactualRuns}`;
      return [s.scenario, String(s.counterfactualRuns), outcomes, verdict];
    });
  return { header: ['scenario', 'counterfactual runs', 'outcomes', 'runbook needed?'], rows, numeric: [1] };
}

type EmptyRun = { readonly emptyWeeks: number; readonly fromMs: number; readonly toMs: number };

/** Consecutive weeks without a single run become one row. */
export function collapseEmptyWeeks(weeks: readonly WeekPoint[]): (WeekPoint | EmptyRun)[] {
  const out: (WeekPoint | EmptyRun)[] = [];
  for (const w of weeks) {
    const empty = w.faultRuns === 0 && w.controlRuns === 0 && Object.keys(w.outcomes).length === 0;
    const last = out.at(-1);
    if (!empty) out.push(w);
    else if (last && 'emptyWeeks' in last)
      out[out.length - 1] = { emptyWeeks: last.emptyWeeks + 1, fromMs: last.fromMs, toMs: w.weekStartMs };
    else out.push({ emptyWeeks: 1, fromMs: w.weekStartMs, toMs: w.weekStartMs });
  }
  return out;
}

export function weeklyTable(q: QuarterlyReport): Table {
  return {
    header: [
      'week starting',
      'fault runs',
      'MTTD mean',
      'MTTR mean',
      'runbook accuracy',
      'control runs',
      'false positives',
    ],
    rows: collapseEmptyWeeks(q.overall.weekly).map((w) =>
      'emptyWeeks' in w
        ? [
            `${weekLabel(w.fromMs)} – ${weekLabel(w.toMs)}`,
            `no runs (${w.emptyWeeks} weeks)`,
            '',
            '',
            '',
            '',
            '',
          ]
        : [
            weekLabel(w.weekStartMs),
            String(w.faultRuns),
            fmtDuration(w.mttdMeanMs),
            fmtDuration(w.mttrMeanMs),
            w.accuracy === null ? '—' : `${(w.accuracy * 100).toFixed(0)}%`,
            String(w.controlRuns),
            String(w.falsePositives),
          ],
    ),
    numeric: [1, 2, 3, 4, 5, 6],
  };
}

export function findingsTable(q: QuarterlyReport): Table {
  return {
    header: ['finding', 'file', 'line', 'section', 'step', 'how often', 'scenarios', 'last seen', 'example'],
    rows: q.findings.map((f) => [
      FINDING_LABEL[f.kind],
      { code: f.file },
      f.line === undefined ? 'not in runbook' : `L${f.line}`,
      f.section,
      { code: f.command },
      `${f.runs} of ${f.ranIn} runs`,
      f.scenarios.join(', '),
      fmtWall(f.lastSeenMs).slice(0, 10),
      f.example,
    ]),
    numeric: [],
  };
}

/** How each number is computed, in words a reviewer can check against the runbook. */
export const DEFINITIONS: readonly [string, string][] = [
  [
    'fault run',
    'a drill that injected a fault and ran the runbook (not a control or counterfactual run); "with a verdict" means not aborted',
  ],
  [
    'MTTD / MTTR',
    'detected − injected / recovered − injected, over fault runs that reached that point; the mean is compared with the target',
  ],
  ['detection rate', 'fault runs with a verdict that the monitoring detected ÷ fault runs with a verdict'],
  [
    'runbook accuracy',
    'fault runs resolved by the runbook alone (resolved-by-runbook) ÷ fault runs with a verdict',
  ],
  ['escalation rate', 'fault runs that met an escalation criterion ÷ fault runs with a verdict'],
  ['false-positive rate', 'control runs (nothing broken) in which any alert fired ÷ control runs'],
  [
    'recurrence (30 d)',
    'failures (verdict other than resolved-by-runbook) that follow a failure of the same scenario within 30 days ÷ failures',
  ],
  ['customer impact', 'total time the drill traffic saw failures or slow responses, over all runs'],
  [
    'on-call (L1) response',
    "detected fault runs whose first runbook step started within the runbook's L1 response time of the detection ÷ those runs",
  ],
  [
    'escalations due',
    'each escalation trigger that fired makes the next contact level due when it fired (or at detection, if later); triggers at one instant are one escalation. Its deadline is that time + the level\'s response time: shown as "due by", never met or missed, since no one answers a drill',
  ],
];

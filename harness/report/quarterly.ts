/**
 * The quarterly reliability review: per-scenario KPIs, the overall KPIs next to the runbook's
 * targets, weekly trends and the runbook findings, from a folder of run records.
 */
import { type AggregateOptions, aggregateScenario, type ScenarioKpis } from './aggregate.ts';
import { type FindingSummary, summarizeFindings } from './findings-summary.ts';
import { fmtDuration, fmtMinutes, fmtP95, fmtRatio } from './format.ts';
import type { RunRecord } from './record.ts';
import { type LevelSummary, summarizeResponses } from './response-times.ts';
import { meetsTarget, runKind } from './verdict.ts';

/** The runbook's false-positive target ("< 5%"); it gives no number for the process metrics. */
export const FALSE_POSITIVE_TARGET = 0.05;
export const NO_TARGET = 'no target in runbook';

export interface QuarterlyReport {
  readonly sinceMs: number;
  readonly now: number;
  /** Records in range. */
  readonly records: number;
  /** The runbook file(s) the records in range verified, most runs first: what is under review. */
  readonly runbooks: readonly RunbookCoverage[];
  /** Fault scenarios first, then control-only ones, each alphabetical. */
  readonly scenarios: readonly ScenarioKpis[];
  readonly overall: ScenarioKpis;
  readonly findings: readonly FindingSummary[];
  /** Limitations the runs reported, with how many runs reported each. */
  readonly limitations: readonly { text: string; runs: number }[];
  /** Records a reviewer should look at before trusting the numbers (one line each). */
  readonly dataWarnings: readonly string[];
  /** The runbook's escalation contacts against the fault runs' timelines, one row per level. */
  readonly responseLevels: readonly LevelSummary[];
  /** Runbook files of fault runs whose escalation contacts are unknown (not readable, or no table). */
  readonly contactsUnknown: readonly string[];
}

export interface RunbookCoverage {
  /** As the records name it (the path on the machine that ran the drills). */
  readonly file: string;
  readonly runs: number;
  /** Distinct contents (sha256) seen: the runbook was edited during the period when > 1. */
  readonly versions: number;
}

/**
 * Aggregate a history. `records` may include runs before `sinceMs`: they are not counted,
 * but they are the history that a failure in range can recur from.
 *
 * @example
 * const { records } = await readRunRecords('reports/runs', { sinceMs: now - 120 * DAY });
 * const report = aggregate(records, { now, sinceMs: now - 90 * DAY });
 */
export function aggregate(records: readonly RunRecord[], opts: AggregateOptions): QuarterlyReport {
  const history = records.filter((r) => Date.parse(r.startedAt) <= opts.now);
  const inRange = history.filter((r) => Date.parse(r.startedAt) >= opts.sinceMs);
  // One row per scenario, and per platform when the range has drills on more than one: a local
  // emulation and a cluster are not one distribution.
  const split = new Set(inRange.map((r) => r.platform)).size > 1;
  const rowOf = (r: RunRecord) => (split ? `${r.scenario.name} (${r.platform})` : r.scenario.name);
  const names = [...new Set(inRange.map(rowOf))];
  const scenarios = names
    .map((n) =>
      aggregateScenario(
        n,
        inRange.filter((r) => rowOf(r) === n),
        history.filter((r) => rowOf(r) === n),
        opts,
      ),
    )
    .sort(
      (a, b) => Number(a.faultRuns === 0) - Number(b.faultRuns === 0) || a.scenario.localeCompare(b.scenario),
    );
  const overall = aggregateScenario('all scenarios', inRange, history, opts);
  const limitations = new Map<string, number>();
  for (const r of inRange)
    for (const l of new Set(r.limitations)) limitations.set(l, (limitations.get(l) ?? 0) + 1);
  const contactsOf = opts.contactsOf ?? (() => undefined);
  const faultRuns = inRange.filter((r) => runKind(r) === 'fault' && r.outcome !== 'aborted');
  return {
    sinceMs: opts.sinceMs,
    now: opts.now,
    records: inRange.length,
    responseLevels: summarizeResponses(faultRuns, contactsOf),
    contactsUnknown: [...new Set(faultRuns.map((r) => r.runbook.file))].filter((f) => !contactsOf(f)?.length),
    runbooks: runbookCoverage(inRange),
    scenarios,
    overall,
    findings: summarizeFindings(inRange),
    dataWarnings: inRange.flatMap(dataWarningsOf),
    limitations: [...limitations.entries()]
      .map(([text, runs]) => ({ text, runs }))
      .sort((a, b) => b.runs - a.runs),
  };
}

export function runbookCoverage(records: readonly RunRecord[]): RunbookCoverage[] {
  const byFile = new Map<string, { runs: number; hashes: Set<string> }>();
  for (const r of records) {
    const entry = byFile.get(r.runbook.file) ?? { runs: 0, hashes: new Set<string>() };
    entry.runs++;
    if (r.runbook.sha256) entry.hashes.add(r.runbook.sha256);
    byFile.set(r.runbook.file, entry);
  }
  return [...byFile]
    .map(([file, e]) => ({ file, runs: e.runs, versions: e.hashes.size }))
    .sort((a, b) => b.runs - a.runs || a.file.localeCompare(b.file));
}

/**
 * Numbers that cannot be right as measured: a negative MTTD means the alert fired before the
 * injection was confirmed, and an incomplete restore means the drill left something behind.
 * They stay in the figures as recorded, but the reader is told.
 */
function dataWarningsOf(r: RunRecord): string[] {
  const out: string[] = [];
  const where = `${r.runId} (${r.scenario.name})`;
  if (r.metrics.mttdMs !== null && r.metrics.mttdMs < 0)
    out.push(
      `${where}: MTTD ${fmtDuration(r.metrics.mttdMs)}: detected before the injection was confirmed; kept as recorded`,
    );
  if (r.metrics.mttrMs !== null && r.metrics.mttrMs < 0)
    out.push(
      `${where}: MTTR ${fmtDuration(r.metrics.mttrMs)}: recovered before the injection was confirmed; kept as recorded`,
    );
  if (!r.restore.ok)
    out.push(`${where}: restore incomplete: ${r.restore.errors.join('; ') || 'no error recorded'}`);
  return out;
}

export interface KpiRow {
  readonly kpi: string;
  readonly target: string;
  readonly measured: string;
  readonly met: boolean | null;
  readonly note: string;
}

/** Every KPI the runbook lists, next to its target (or the statement that it has none). */
export function kpiRows(q: QuarterlyReport): KpiRow[] {
  const o = q.overall;
  const perScenario = 'per scenario (targets differ; see the scenario table)';
  const fp = o.falsePositiveRate;
  return [
    {
      kpi: 'MTTR (mean time to resolution)',
      target: o.targets ? `< ${fmtDuration(o.targets.mttrMs)}` : perScenario,
      measured: `mean ${fmtDuration(o.mttr.mean)}, p95 ${fmtP95(o.mttr)} (n=${o.mttr.n})`,
      met: o.targets ? o.mttrMet : allMet(q.scenarios.map((s) => s.mttrMet)),
      note: o.withoutMttr ? `${o.withoutMttr} fault runs never recovered and are not in the mean` : '',
    },
    {
      kpi: 'MTTD (mean time to detection)',
      target: o.targets ? `< ${fmtDuration(o.targets.mttdMs)}` : perScenario,
      measured: `mean ${fmtDuration(o.mttd.mean)}, p95 ${fmtP95(o.mttd)} (n=${o.mttd.n})`,
      met: o.targets ? o.mttdMet : allMet(q.scenarios.map((s) => s.mttdMet)),
      note: `detection rate ${fmtRatio(o.detectionRate)}`,
    },
    ...(o.mttdPage.n
      ? [
          {
            kpi: 'MTTD to page (Alertmanager notification)',
            target: o.targets ? `< ${fmtDuration(o.targets.mttdMs)}` : perScenario,
            measured: `mean ${fmtDuration(o.mttdPage.mean)}, p95 ${fmtP95(o.mttdPage)} (n=${o.mttdPage.n})`,
            met: o.targets ? meetsTarget(o.mttdPage.mean, o.targets.mttdMs) : null,
            note: 'runs drilled with --alertmanager-url: what the on-call actually waited for',
          },
        ]
      : []),
    {
      kpi: 'False-positive rate',
      target: `< ${FALSE_POSITIVE_TARGET * 100}%`,
      measured: fmtRatio(fp),
      met: fp.value === null ? null : fp.value < FALSE_POSITIVE_TARGET,
      note:
        fp.den === 0
          ? 'no control runs in range: run control drills to measure it'
          : 'from control runs (no fault injected)',
    },
    {
      kpi: 'Customer impact duration',
      target: `${NO_TARGET} (tracked)`,
      measured: `${fmtMinutes(o.customerImpactMs)} total`,
      met: null,
      note: 'time the drill traffic saw failures or slow responses',
    },
    {
      kpi: 'Runbook accuracy',
      target: NO_TARGET,
      measured: fmtRatio(o.runbookAccuracy),
      met: null,
      note: 'resolved by the runbook alone',
    },
    { kpi: 'Escalation rate', target: NO_TARGET, measured: fmtRatio(o.escalationRate), met: null, note: '' },
    {
      kpi: 'Recurrence rate (30 days)',
      target: NO_TARGET,
      measured: fmtRatio(o.recurrenceRate),
      met: null,
      note: 'failures that follow a failure of the same scenario within 30 days',
    },
    {
      kpi: 'Post-mortem quality',
      target: `${NO_TARGET} (score out of 5)`,
      measured: 'not measured by drills',
      met: null,
      note: 'needs a human review of the post-mortem',
    },
  ];
}

const allMet = (xs: readonly (boolean | null)[]): boolean | null => {
  const known = xs.filter((x): x is boolean => x !== null);
  return known.length ? known.every(Boolean) : null;
};

/**
 * The quarterly review's numbers, from a history of run records. Definitions (each the
 * runbook's KPI, made precise for drills):
 *
 * - fault run: not a control and not a counterfactual run. "With a verdict": not aborted.
 * - MTTD / MTTR: distributions over fault runs that have the value; mean compared with the
 *   target, because the runbook's targets are for the mean ("Mean Time To ...").
 * - detection rate: fault runs with a verdict that were detected / fault runs with a verdict.
 * - runbook accuracy ("% of incidents resolved using existing runbooks"):
 *   resolved-by-runbook / fault runs with a verdict.
 * - escalation rate ("% of incidents requiring escalation"): escalated / fault runs with a verdict.
 * - false-positive rate: control runs (with a verdict) in which anything fired / control runs.
 * - recurrence within 30 days: a failure is a fault run with a verdict whose outcome is not
 *   resolved-by-runbook; it recurs when the same scenario failed in the 30 days before it
 *   (earlier records outside the range count as history). Rate = recurring / failures in range.
 * - customer impact: sum of customerImpactMs over every run in range.
 */
import { type Distribution, distribution, OUTCOMES, type Outcome } from '../core/metrics.ts';
import type { RunRecord } from './record.ts';
import { type ContactsOf, responsesOfRuns } from './response-times.ts';
import { type WeekPoint, weeklyTrend } from './trends.ts';
import { controlFired, judgedTime, meetsTarget, runKind, SEVERITY_RESPONSE_MS } from './verdict.ts';

export const RECURRENCE_WINDOW_MS = 30 * 86_400_000;

export interface Ratio {
  readonly num: number;
  readonly den: number;
  /** num / den, or null when there is nothing to divide by. */
  readonly value: number | null;
}
export const ratio = (num: number, den: number): Ratio => ({ num, den, value: den === 0 ? null : num / den });

export interface ScenarioKpis {
  /** Scenario name, or "all scenarios" for the overall row. */
  readonly scenario: string;
  readonly title: string;
  /** Every record of the scenario in range, of any kind. */
  readonly runs: number;
  readonly faultRuns: number;
  readonly aborted: number;
  readonly verdictRuns: number;
  readonly controlRuns: number;
  readonly counterfactualRuns: number;
  /** Outcomes of counterfactual runs (fault injected, remediation skipped on purpose). */
  readonly counterfactualOutcomes: Readonly<Partial<Record<Outcome, number>>>;
  readonly outcomes: Readonly<Record<Outcome, number>>;
  /** Targets of the latest run; null when scenarios in a group disagree. */
  readonly targets: RunRecord['targets'] | null;
  readonly mttd: Distribution;
  readonly mttr: Distribution;
  /** To the Alertmanager notification, over the runs that watched one (`--alertmanager-url`); n = 0 otherwise. */
  readonly mttdPage: Distribution;
  readonly mttdMet: boolean | null;
  readonly mttrMet: boolean | null;
  /** Fault runs with a verdict but no MTTR (never recovered): left out of the MTTR mean. */
  readonly withoutMttr: number;
  readonly detectionRate: Ratio;
  readonly runbookAccuracy: Ratio;
  readonly escalationRate: Ratio;
  readonly falsePositiveRate: Ratio;
  readonly recurrenceRate: Ratio;
  readonly customerImpactMs: number;
  /** The most severe impact the drills' own traffic saw (the runbook's severity table), and per severity how many runs. */
  readonly worstSeverity: RunRecord['observedSeverity'];
  /** Fault runs whose detection came within the response time of the severity they caused. */
  readonly responseTimeMet: Ratio;
  /** Detected fault runs whose first runbook step started within L1's (on-call) response time. */
  readonly onCallResponse: Ratio;
  /** Per escalation level above L1: runs in which a trigger made it due (not measurable in a drill). */
  readonly escalationsDue: Readonly<Record<string, number>>;
  /** Per alert: control runs in which it fired. */
  readonly falsePositiveAlerts: Readonly<Record<string, number>>;
  /** Per alert: fault runs in which it fired although the scenario did not expect it. */
  readonly unexpectedAlerts: Readonly<Record<string, number>>;
  readonly weekly: readonly WeekPoint[];
}

export interface AggregateOptions {
  /** End of the range, epoch ms (inclusive). */
  readonly now: number;
  /** Start of the range, epoch ms (inclusive); records before it serve only as recurrence history. */
  readonly sinceMs: number;
  /** The runbook's escalation contacts (L1..Ln), per runbook file as the records name it. */
  readonly contactsOf?: ContactsOf;
}

const startOf = (r: RunRecord) => Date.parse(r.startedAt);

const SEVERITY_ORDER: RunRecord['observedSeverity'][] = ['critical', 'high', 'medium', 'low'];

/** Runs that caused an impact, and of those the ones detected within that severity's response time. */
function responseTimes(runs: readonly RunRecord[]): Ratio {
  const judged = runs.filter((r) => r.observedSeverity !== 'none');
  const met = judged.filter((r) => {
    const ms = judgedTime(r, 'mttd').ms;
    return ms !== null && ms < SEVERITY_RESPONSE_MS[r.observedSeverity as keyof typeof SEVERITY_RESPONSE_MS];
  });
  return ratio(met.length, judged.length);
}

export function aggregateScenario(
  name: string,
  inRange: readonly RunRecord[],
  history: readonly RunRecord[],
  opts: AggregateOptions,
): ScenarioKpis {
  const sorted = [...inRange].sort((a, b) => startOf(a) - startOf(b));
  const fault = sorted.filter((r) => runKind(r) === 'fault');
  const verdict = fault.filter((r) => r.outcome !== 'aborted');
  const control = sorted.filter((r) => runKind(r) === 'control' && r.outcome !== 'aborted');
  const outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  for (const r of fault) outcomes[r.outcome] += 1;
  const counterfactualOutcomes: Partial<Record<Outcome, number>> = {};
  for (const r of sorted.filter((x) => runKind(x) === 'counterfactual'))
    counterfactualOutcomes[r.outcome] = (counterfactualOutcomes[r.outcome] ?? 0) + 1;

  const targetSet = new Set(sorted.map((r) => `${r.targets.mttdMs}/${r.targets.mttrMs}`));
  const targets = targetSet.size === 1 ? sorted.at(-1)!.targets : null;
  // on the fast profile, the projection to production windows: the figure the targets are about
  const mttd = distribution(fault.map((r) => judgedTime(r, 'mttd').ms));
  const mttr = distribution(fault.map((r) => judgedTime(r, 'mttr').ms));
  const mttdPage = distribution(
    fault.filter((r) => r.metrics.mttdPageMs !== undefined).map((r) => r.metrics.mttdPageMs ?? null),
  );

  const fpAlerts: Record<string, number> = {};
  for (const r of control.filter(controlFired))
    for (const alert of new Set(r.alertsFired.map((a) => a.alert)))
      fpAlerts[alert] = (fpAlerts[alert] ?? 0) + 1;
  const unexpected: Record<string, number> = {};
  for (const r of fault)
    for (const alert of new Set(r.alertsFired.filter((a) => !a.expected).map((a) => a.alert)))
      unexpected[alert] = (unexpected[alert] ?? 0) + 1;

  const first = sorted[0];
  const responses = responsesOfRuns(verdict, opts.contactsOf ?? (() => undefined));
  return {
    scenario: name,
    title: sorted.at(-1)?.scenario.title ?? name,
    runs: sorted.length,
    faultRuns: fault.length,
    aborted: fault.length - verdict.length,
    verdictRuns: verdict.length,
    controlRuns: control.length,
    counterfactualRuns: sorted.filter((r) => runKind(r) === 'counterfactual').length,
    counterfactualOutcomes,
    outcomes,
    targets,
    mttd,
    mttr,
    mttdPage,
    mttdMet: targets ? meetsTarget(mttd.mean, targets.mttdMs) : null,
    mttrMet: targets ? meetsTarget(mttr.mean, targets.mttrMs) : null,
    withoutMttr: verdict.filter((r) => r.metrics.mttrMs === null).length,
    detectionRate: ratio(verdict.filter((r) => r.outcome !== 'not-detected').length, verdict.length),
    runbookAccuracy: ratio(verdict.filter((r) => r.outcome === 'resolved-by-runbook').length, verdict.length),
    escalationRate: ratio(verdict.filter((r) => r.escalated).length, verdict.length),
    falsePositiveRate: ratio(control.filter(controlFired).length, control.length),
    recurrenceRate: recurrence(verdict, history),
    customerImpactMs: sorted.reduce((s, r) => s + (r.metrics.customerImpactMs ?? 0), 0),
    worstSeverity: SEVERITY_ORDER.find((sev) => verdict.some((r) => r.observedSeverity === sev)) ?? 'none',
    responseTimeMet: responseTimes(verdict),
    onCallResponse: ratio(responses.onCallMet, responses.onCallJudged),
    escalationsDue: responses.runsDue,
    falsePositiveAlerts: fpAlerts,
    unexpectedAlerts: unexpected,
    weekly: first ? weeklyTrend(sorted, { sinceMs: opts.sinceMs, now: opts.now }) : [],
  };
}

export const isFailure = (r: RunRecord): boolean =>
  runKind(r) === 'fault' && r.outcome !== 'aborted' && r.outcome !== 'resolved-by-runbook';

/** Failures in range that follow an earlier failure of the same scenario within 30 days. */
function recurrence(verdictInRange: readonly RunRecord[], history: readonly RunRecord[]): Ratio {
  const failures = verdictInRange.filter(isFailure);
  const past = history
    .filter(isFailure)
    .map((r) => ({ scenario: r.scenario.name, at: startOf(r), runId: r.runId }));
  const recurring = failures.filter((f) => {
    const at = startOf(f);
    return past.some(
      (p) =>
        p.scenario === f.scenario.name &&
        (p.at < at || (p.at === at && p.runId < f.runId)) &&
        at - p.at <= RECURRENCE_WINDOW_MS,
    );
  });
  return ratio(recurring.length, failures.length);
}

/**
 * The runs of one invocation (`--repeat N`, `--all`) grouped by scenario, with the
 * distributions a reader compares against the targets: n, mean, p50, p95, min, max.
 */
import { type Distribution, distribution } from '../core/metrics.ts';
import type { RunRecord } from './record.ts';
import { controlFired, runKind, verdictOf } from './verdict.ts';

export interface ScenarioSummary {
  readonly scenario: string;
  readonly title: string;
  readonly runs: readonly RunRecord[];
  readonly mttd: Distribution;
  /** MTTD to the page, when an Alertmanager was watched (existing monitoring). */
  readonly mttdPage?: Distribution;
  readonly mttr: Distribution;
  readonly timeToRemediate: Distribution;
  readonly customerImpact: Distribution;
  readonly targets: RunRecord['targets'];
  readonly outcomes: Readonly<Partial<Record<RunRecord['outcome'], number>>>;
  readonly passed: number;
  /** Control runs of this scenario, and how many of them had something fire. */
  readonly controlRuns: number;
  readonly falsePositives: number;
}

/** Group an invocation's records by scenario, in the order the scenarios first ran. */
export function summarizeInvocation(records: readonly RunRecord[]): ScenarioSummary[] {
  const groups = new Map<string, RunRecord[]>();
  for (const r of records) groups.set(r.scenario.name, [...(groups.get(r.scenario.name) ?? []), r]);
  return [...groups.entries()].map(([scenario, runs]) => {
    const outcomes: Partial<Record<RunRecord['outcome'], number>> = {};
    for (const r of runs) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    const last = runs.at(-1)!;
    // A control run has no fault, so its "MTTD" would only time a false alarm: keep it out.
    const timed = runs.filter((r) => runKind(r) !== 'control');
    const controls = runs.filter((r) => runKind(r) === 'control' && r.outcome !== 'aborted');
    const paging = timed.filter((r) => r.metrics.mttdPageMs !== undefined);
    return {
      scenario,
      title: last.scenario.title,
      runs,
      mttd: distribution(timed.map((r) => r.metrics.mttdMs)),
      ...(paging.length ? { mttdPage: distribution(paging.map((r) => r.metrics.mttdPageMs)) } : {}),
      mttr: distribution(timed.map((r) => r.metrics.mttrMs)),
      timeToRemediate: distribution(timed.map((r) => r.metrics.timeToRemediateMs)),
      customerImpact: distribution(runs.map((r) => r.metrics.customerImpactMs)),
      targets: last.targets,
      outcomes,
      passed: runs.filter((r) => verdictOf(r).status === 'pass').length,
      controlRuns: controls.length,
      falsePositives: controls.filter(controlFired).length,
    };
  });
}

/** "resolved-by-runbook ×2, unresolved ×1" */
export const outcomeCounts = (outcomes: Readonly<Partial<Record<string, number>>>): string =>
  Object.entries(outcomes)
    .map(([o, n]) => `${o} ×${n}`)
    .join(', ');

/** A title for the whole invocation: the scenario when there is one, else a count. */
export function invocationTitle(records: readonly RunRecord[]): string {
  const names = [...new Set(records.map((r) => r.scenario.name))];
  if (names.length === 1) {
    const r = records[0]!;
    const n = records.length > 1 ? ` (${records.length} runs)` : '';
    return `Fire drill: ${r.scenario.name} — ${r.scenario.title}${n}`;
  }
  return `Fire drill: ${names.length} scenarios, ${records.length} runs`;
}

/** The summary line of a group of control runs. */
export const controlLine = (runs: number, fired: number): string =>
  `${runs} control run${runs === 1 ? '' : 's'} (no fault injected), ${fired} with a false positive`;

/**
 * Whether this incident would have been escalated, by the runbook's own criteria that a drill
 * can observe: outage past 30 minutes, unresolved, data loss suspected, or a fix that needed
 * steps the runbook does not have.
 */
import type { DrillMetrics, Outcome } from '../core/metrics.ts';
import type { StepResult } from '../report/record.ts';
import type { Scenario } from '../scenario/schema.ts';

export function escalationReasons(input: {
  outcome: Outcome;
  metrics: DrillMetrics;
  scenario: Scenario;
  lastRoundFailures: readonly string[];
  steps: readonly StepResult[];
}): string[] {
  const reasons: string[] = [];
  const { outcome, metrics, scenario } = input;
  if (outcome === 'aborted') return reasons;
  if (outcome === 'unresolved') reasons.push('outage not resolved by the runbook within the drill');
  if (metrics.mttrMs !== null && metrics.mttrMs > scenario.targets.mttrMs)
    reasons.push(
      `outage lasted ${Math.round(metrics.mttrMs / 60_000)} min, past the ${Math.round(scenario.targets.mttrMs / 60_000)} min target`,
    );
  if (outcome === 'not-detected') reasons.push('monitoring did not detect the outage');
  if (outcome === 'resolved-with-extra-steps') reasons.push('fix needed steps the runbook does not have');
  if (input.lastRoundFailures.some((f) => f.startsWith('data-integrity')))
    reasons.push('data loss suspected: records written before the fault are missing');
  return reasons;
}

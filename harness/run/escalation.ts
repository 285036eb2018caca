/**
 * Whether this incident would have been escalated, by every trigger of the runbook's escalation
 * section that a drill can measure, each with its reason:
 *
 * - outage duration past the threshold (the MTTR target), unresolved, not detected, extra steps
 *   the runbook lacks;
 * - data loss: records written in steady state missing or changed afterwards;
 * - critical customer impact: the impact the drill's own traffic saw classifies as Critical;
 * - production database issues, an external dependency failing, more than one service
 *   affected: read from what the verification rounds saw failing during the incident;
 * - root cause unclear after the investigation time box: no remediation step had restored
 *   health when the box (15 min by default) ran out after detection.
 */
import type { DrillMetrics, Outcome } from '../core/metrics.ts';
import type { RunRecord } from '../report/record.ts';
import type { StepResult } from '../runbook/step-result.ts';
import type { Scenario } from '../scenario/schema.ts';
import { failingDependencies, showsDataLoss } from '../verify/checks.ts';

/** What the runbook's "root cause unclear after 15 minutes" allows for the investigation. */
export const INVESTIGATION_BOX_MS = 15 * 60_000;

export interface EscalationInput {
  readonly outcome: Outcome;
  readonly metrics: DrillMetrics;
  readonly scenario: Scenario;
  readonly lastRoundFailures: readonly string[];
  readonly steps: readonly StepResult[];
  /** Every failure the verification rounds saw between injection and recovery. */
  readonly incidentFailures?: readonly string[];
  readonly observedSeverity?: RunRecord['observedSeverity'];
}

export function escalationReasons(input: EscalationInput): string[] {
  const reasons: string[] = [];
  const { outcome, metrics, scenario } = input;
  if (outcome === 'aborted') return reasons;
  if (outcome === 'unresolved') reasons.push('outage not resolved by the runbook within the drill');
  if (metrics.mttrMs !== null && metrics.mttrMs > scenario.targets.mttrMs)
    reasons.push(
      `outage lasted ${Math.round(metrics.mttrMs / 60_000)} min, past the ${Math.round(scenario.targets.mttrMs / 60_000)} min threshold`,
    );
  if (outcome === 'not-detected') reasons.push('monitoring did not detect the outage');
  if (outcome === 'resolved-with-extra-steps') reasons.push('fix needed steps the runbook does not have');
  const seen = [...(input.incidentFailures ?? []), ...input.lastRoundFailures];
  // A record that is gone or changed, not a read that failed because the API was down.
  if (seen.some(showsDataLoss))
    reasons.push('data loss suspected: records written before the fault are missing or changed');
  if (input.observedSeverity === 'critical')
    reasons.push('customer impact critical: the drill traffic saw a complete outage');
  const deps = failingDependencies(seen);
  if (deps.has('database'))
    reasons.push('production database issue: /health/database failed during the incident');
  if (deps.has('external-apis'))
    reasons.push('external dependency failure: /health/external-apis failed during the incident');
  if (deps.size > 1) reasons.push(`more than one service affected: ${[...deps].sort().join(', ')}`);
  const fixedAt = metrics.timeToRemediateMs;
  if (metrics.mttdMs !== null && (fixedAt === null || fixedAt > INVESTIGATION_BOX_MS))
    reasons.push(
      `root cause unclear after ${INVESTIGATION_BOX_MS / 60_000} min: ${fixedAt === null ? 'never recovered' : `recovered ${Math.round(fixedAt / 60_000)} min after detection`}`,
    );
  return reasons;
}

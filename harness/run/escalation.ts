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
import {
  type DependencyKinds,
  type Escalation,
  type EscalationTrigger,
  INVESTIGATION_BOX_MS,
} from '../report/escalation-triggers.ts';
import type { RunRecord } from '../report/record.ts';
import type { StepResult } from '../runbook/step-result.ts';
import type { Scenario } from '../scenario/schema.ts';
import { failingDependencies, showsDataLoss } from '../verify/checks.ts';

export interface EscalationInput {
  readonly outcome: Outcome;
  readonly metrics: DrillMetrics;
  readonly scenario: Scenario;
  readonly lastRoundFailures: readonly string[];
  readonly steps: readonly StepResult[];
  /** Every failure the verification rounds saw between injection and recovery. */
  readonly incidentFailures?: readonly string[];
  readonly observedSeverity?: RunRecord['observedSeverity'];
  /** The config's database and external dependencies; none declared: those two triggers cannot fire. */
  readonly dependencyKinds?: DependencyKinds;
}

export function escalations(input: EscalationInput): Escalation[] {
  const fired: Escalation[] = [];
  const push = (trigger: EscalationTrigger, reason: string, dependencies?: string[]) =>
    fired.push({ trigger, reason, ...(dependencies ? { dependencies } : {}) });
  const { outcome, metrics, scenario } = input;
  if (outcome === 'aborted') return fired;
  if (outcome === 'unresolved') push('unresolved', 'outage not resolved by the runbook within the drill');
  if (metrics.mttrMs !== null && metrics.mttrMs > scenario.targets.mttrMs)
    push(
      'outage-duration',
      `outage lasted ${Math.round(metrics.mttrMs / 60_000)} min, past the ${Math.round(scenario.targets.mttrMs / 60_000)} min threshold`,
    );
  if (outcome === 'not-detected') push('not-detected', 'monitoring did not detect the outage');
  if (outcome === 'resolved-with-extra-steps')
    push('extra-steps', 'fix needed steps the runbook does not have');
  const seen = [...(input.incidentFailures ?? []), ...input.lastRoundFailures];
  // A record that is gone or changed, not a read that failed because the API was down.
  if (seen.some(showsDataLoss))
    push('data-loss', 'data loss suspected: records written before the fault are missing or changed');
  if (input.observedSeverity === 'critical')
    push('critical-impact', 'customer impact critical: the drill traffic saw a complete outage');
  const deps = failingDependencies(seen);
  const failing = (names: readonly string[] = []) => names.filter((n) => deps.has(n));
  const database = failing(input.dependencyKinds?.database);
  if (database.length)
    push(
      'database',
      `production database issue: ${database.join(', ')} failed during the incident`,
      database,
    );
  const external = failing(input.dependencyKinds?.external);
  if (external.length)
    push(
      'external-dependency',
      `external dependency failure: ${external.join(', ')} failed during the incident`,
      external,
    );
  if (deps.size > 1)
    push('several-services', `more than one service affected: ${[...deps].sort().join(', ')}`);
  const fixedAt = metrics.timeToRemediateMs;
  if (metrics.mttdMs !== null && (fixedAt === null || fixedAt > INVESTIGATION_BOX_MS))
    push(
      'investigation-box',
      `root cause unclear after ${INVESTIGATION_BOX_MS / 60_000} min: ${fixedAt === null ? 'never recovered' : `recovered ${Math.round(fixedAt / 60_000)} min after detection`}`,
    );
  return fired;
}

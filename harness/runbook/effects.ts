/**
 * Which remediation step fixed things, and which did nothing: the answer a runbook
 * review wants from a drill, read off the per-step postconditions.
 */
import type { StepResult } from './step-result.ts';

export interface EffectSummary {
  /** First step after which health came back; absent if none did. */
  readonly restoredBy?: StepResult;
  /** Remediation steps that ran while the system was unhealthy and left it unhealthy. */
  readonly noEffect: readonly StepResult[];
  readonly worsened: readonly StepResult[];
  /** Remediation steps that ran after health was already back (their effect is unknowable). */
  readonly afterRecovery: readonly StepResult[];
  /** Remediation steps that did not run (not runnable, missing placeholder, failed to start). */
  readonly notRun: readonly StepResult[];
}

/**
 * @example
 * const { restoredBy, noEffect } = summarizeEffects(results);
 * // restoredBy?.line === 160 ("kubectl rollout restart deployment/shop-postgres")
 */
export function summarizeEffects(results: readonly StepResult[]): EffectSummary {
  const remediation = results.filter((r) => r.kind === 'remediation');
  const restoredIndex = remediation.findIndex((r) => r.effect === 'restored-health');
  const before = restoredIndex < 0 ? remediation : remediation.slice(0, restoredIndex);
  const after = restoredIndex < 0 ? [] : remediation.slice(restoredIndex + 1);
  const ran = (r: StepResult) => r.execution !== 'none';
  return {
    ...(restoredIndex >= 0 ? { restoredBy: remediation[restoredIndex]! } : {}),
    noEffect: before.filter((r) => ran(r) && r.effect === 'no-change'),
    worsened: remediation.filter((r) => r.effect === 'worsened'),
    afterRecovery: after.filter((r) => ran(r) && r.effect === 'no-change'),
    notRun: remediation.filter((r) => !ran(r)),
  };
}

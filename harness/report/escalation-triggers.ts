/**
 * The escalation triggers a drill can measure, by id. harness/run/escalation.ts decides which
 * fired (with a reason for people); the record keeps the id beside the reason so readers such as
 * the response-time checks know which trigger it was without reading the wording.
 */
export const ESCALATION_TRIGGERS = [
  'outage-duration',
  'unresolved',
  'not-detected',
  'extra-steps',
  'data-loss',
  'critical-impact',
  'database',
  'external-dependency',
  'several-services',
  'investigation-box',
] as const;

export type EscalationTrigger = (typeof ESCALATION_TRIGGERS)[number];

export interface Escalation {
  readonly trigger: EscalationTrigger;
  readonly reason: string;
  /** database / external-dependency: the failing dependencies (by check-route name) that fired it. */
  readonly dependencies?: string[];
}

/**
 * Which of the system's dependencies (by the last segment of their check route) the runbook's
 * "production database issues" and "external dependency failure" triggers mean; from the config.
 */
export interface DependencyKinds {
  readonly database: readonly string[];
  readonly external: readonly string[];
}

/** What the runbook's "root cause unclear after 15 minutes" allows for the investigation. */
export const INVESTIGATION_BOX_MS = 15 * 60_000;

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
}

/** What the runbook's "root cause unclear after 15 minutes" allows for the investigation. */
export const INVESTIGATION_BOX_MS = 15 * 60_000;

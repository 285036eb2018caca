/**
 * What a runbook step produced: the executor's raw run, and the StepResult every drill records
 * (pass or fail, with exit code, output, timing and findings). The run record embeds these.
 */
import { z } from 'zod';
import { platformActionSchema } from '../scenario/schema.ts';

/**
 * Something a reader of the step's result must know beyond pass/fail: where the local platform's
 * emulation differs from what the command would do on a cluster, or a lint finding on the step.
 */
export const stepFindingSchema = z.object({
  kind: z.enum(['emulation', 'lint']),
  message: z.string(),
  /** 1-based runbook line the finding points at. */
  line: z.number().int().optional(),
  /** Lint rule, e.g. 'never-ends'. */
  rule: z.string().optional(),
  severity: z.enum(['error', 'warning', 'info']).optional(),
});

export const stepResultSchema = z.object({
  id: z.string(),
  /** Section of the runbook the step belongs to, e.g. "Scenario 2: Database Connection Issues". */
  section: z.string(),
  kind: z.enum(['diagnostic', 'remediation', 'verification', 'post-incident', 'extra']),
  command: z.string(),
  comment: z.string().optional(),
  /** 1-based line in the runbook file; absent for scenario extra steps. */
  line: z.number().int().optional(),
  status: z.enum(['passed', 'failed', 'timed-out', 'not-runnable', 'skipped']),
  exitCode: z.number().int().nullable(),
  durationMs: z.number(),
  output: z.string(),
  error: z.string().optional(),
  /** How the step ran: literally in a shell, translated to a platform verb, or not at all. */
  execution: z.enum(['shell', 'translated', 'none']),
  translatedTo: z.string().optional(),
  /** Time box from the runbook ("0-2 minutes"), and whether the step finished inside it. */
  timeBox: z.object({ fromMs: z.number(), toMs: z.number(), fitted: z.boolean() }).optional(),
  /** Postcondition after a remediation step: did health change? */
  effect: z.enum(['restored-health', 'no-change', 'worsened', 'not-checked']).default('not-checked'),
  /** Emulation divergences and lint findings for this step; absent when there are none. */
  findings: z.array(stepFindingSchema).optional(),
  /** A scenario extra step's platform action, so a report can say it in kubectl form. */
  action: platformActionSchema.optional(),
  /**
   * A diagnostic that failed the way the outage makes it fail (connection refused, HTTP 5xx, a
   * crash-looping container) while the fault was in force: evidence of the outage, not a finding.
   */
  evidence: z.literal('showed-outage').optional(),
});

export type StepResult = z.output<typeof stepResultSchema>;
export type StepFinding = z.output<typeof stepFindingSchema>;

/** What one executor run produced; executeSteps adds identity, timing and judgement. */
export interface StepRun {
  readonly status: 'passed' | 'failed' | 'timed-out' | 'not-runnable';
  readonly exitCode: number | null;
  readonly output: string;
  readonly error?: string;
  readonly execution: 'shell' | 'translated' | 'none';
  /** What actually ran, when it differs from the runbook's text (translation, host map, TTY flags dropped). */
  readonly translatedTo?: string;
  /** Variables the step assigned (`POD=$(...)`), for later steps. */
  readonly defined?: Readonly<Record<string, string>>;
  /** Where this run differs from what the command would do on a cluster. */
  readonly findings?: readonly StepFinding[];
}

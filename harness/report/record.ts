/**
 * The run record: one JSON document per drill, the single source of truth for every report.
 * Versioned; the published JSON Schema (run-record.schema.json) is generated from this file
 * and a test keeps the two in step.
 */
import { z } from 'zod';
import { OUTCOMES } from '../core/metrics.ts';
import { platformActionSchema } from '../scenario/schema.ts';

export const RUN_RECORD_VERSION = 1;

const instant = z.object({ wallMs: z.number(), monoMs: z.number() });
const ms = z.number().nullable();
const targetSource = z.enum(['runbook', 'scenario', 'flag']);

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

export const runRecordSchema = z.object({
  version: z.literal(RUN_RECORD_VERSION),
  runId: z.string(),
  scenario: z.object({
    name: z.string(),
    title: z.string(),
    severity: z.enum(['critical', 'high', 'medium', 'low']),
  }),
  control: z.boolean(),
  /** Counterfactual run: fault injected, remediation deliberately skipped. */
  counterfactual: z.boolean().default(false),
  platform: z.enum(['local', 'kube', 'memory']),
  detectionSource: z.string(),
  /** The alert windows detection ran with: `fast` (drill windows) or `production` (the runbook's). */
  alertProfile: z.enum(['fast', 'production']).optional(),
  runbook: z.object({ file: z.string(), section: z.string(), sha256: z.string().optional() }),
  hostMap: z.record(z.string(), z.string()).default({}),
  startedAt: z.string(),
  finishedAt: z.string(),
  outcome: z.enum(OUTCOMES),
  abortReason: z.string().optional(),
  metrics: z.object({
    mttdMs: ms,
    mttrMs: ms,
    timeToRemediateMs: ms,
    customerImpactMs: ms,
    /** Fast-profile runs: MTTD/MTTR moved to the production alert windows; the verdict uses these. */
    projectedMttdMs: ms.optional(),
    projectedMttrMs: ms.optional(),
    /**
     * Existing monitoring with an Alertmanager: injected to the first page of a scenario alert the
     * webhook receiver got (measured); null when none came. Absent when no Alertmanager was watched.
     */
    mttdPageMs: ms.optional(),
  }),
  /** The windows of the alert that detected the fault, in the profile that ran and in production. */
  alertWindows: z
    .object({
      alert: z.string(),
      profile: z.enum(['fast', 'production']),
      forMs: z.number(),
      floorMs: z.number(),
      productionForMs: z.number(),
      productionFloorMs: z.number(),
    })
    .optional(),
  targets: z.object({
    mttdMs: z.number(),
    mttrMs: z.number(),
    /** Where each target came from: a --target-* flag, the runbook's KPI section (with its line), or the scenario. */
    source: z
      .object({
        mttd: targetSource,
        mttr: targetSource,
        mttdLine: z.number().int().optional(),
        mttrLine: z.number().int().optional(),
      })
      .optional(),
  }),
  targetsMet: z.boolean(),
  /** Impact classified with the runbook's severity table, and whether detection met its response time. */
  observedSeverity: z.enum(['critical', 'high', 'medium', 'low', 'none']).default('none'),
  escalated: z.boolean().default(false),
  escalationReasons: z.array(z.string()).default([]),
  alertsFired: z
    .array(z.object({ alert: z.string(), expected: z.boolean(), firstAtWallMs: z.number() }))
    .default([]),
  steps: z.array(stepResultSchema).default([]),
  restore: z.object({ ok: z.boolean(), reverted: z.array(z.string()), errors: z.array(z.string()) }),
  timeline: z.array(z.object({ type: z.string(), at: instant }).catchall(z.unknown())),
  load: z.object({ requests: z.number(), errors: z.number(), p95Ms: z.number().nullable() }).optional(),
  limitations: z.array(z.string()).default([]),
  /** The suggested runbook patch (unified diff) this run's extra steps and findings call for. */
  runbookPatch: z.object({ file: z.string(), diff: z.string() }).optional(),
});

export type RunRecord = z.output<typeof runRecordSchema>;
export type StepResult = z.output<typeof stepResultSchema>;
export type StepFinding = z.output<typeof stepFindingSchema>;

export const runRecordJsonSchema = () => z.toJSONSchema(runRecordSchema, { io: 'input' });

/**
 * The run record: one JSON document per drill, the single source of truth for every report.
 * Versioned; the published JSON Schema (run-record.schema.json) is generated from this file
 * and a test keeps the two in step.
 */
import { z } from 'zod';
import { OUTCOMES } from '../core/metrics.ts';
import { stepResultSchema } from '../runbook/step-result.ts';
import { ESCALATION_TRIGGERS } from './escalation-triggers.ts';

export const RUN_RECORD_VERSION = 1;

const instant = z.object({ wallMs: z.number(), monoMs: z.number() });
const ms = z.number().nullable();
const targetSource = z.enum(['runbook', 'scenario', 'flag']);

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
  /** The same escalations with the trigger that fired each (absent in records before triggers had ids). */
  escalations: z
    .array(
      z.object({
        trigger: z.enum(ESCALATION_TRIGGERS),
        reason: z.string(),
        dependencies: z.array(z.string()).optional(),
      }),
    )
    .default([]),
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
/** The steps' results are the runbook's (runbook/step-result.ts); re-exported for the record's readers. */
export type { StepFinding, StepResult } from '../runbook/step-result.ts';

export const runRecordJsonSchema = () => z.toJSONSchema(runRecordSchema, { io: 'input' });

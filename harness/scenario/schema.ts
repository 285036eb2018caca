/**
 * A scenario is a document: what breaks, which alerts must fire, which runbook section
 * remediates it, and the targets. It is validated before anything touches a system, and a
 * bad field is named with its path.
 */
import { z } from 'zod';

const minutes = (m: number) => m * 60_000;

/** The runbook's KPI targets: MTTD < 5 min, MTTR < 30 min. */
export const DEFAULT_TARGETS = { mttdMs: minutes(5), mttrMs: minutes(30) } as const;

const workload = z.string().min(1);
const resources = z.object({
  limits: z.object({ cpu: z.string().optional(), memory: z.string().optional() }).optional(),
  requests: z.object({ cpu: z.string().optional(), memory: z.string().optional() }).optional(),
});

export const platformActionSchema = z.discriminatedUnion('verb', [
  z.object({ verb: z.literal('status'), workload: workload.optional() }),
  z.object({ verb: z.literal('scale'), workload, replicas: z.int().min(0) }),
  z.object({ verb: z.literal('rollout-restart'), workload }),
  z.object({ verb: z.literal('set-env'), workload, env: z.record(z.string(), z.string().nullable()) }),
  z.object({ verb: z.literal('set-resources'), workload, resources }),
  z.object({ verb: z.literal('delete-pod'), workload, pod: z.string().optional() }),
  z.object({
    verb: z.literal('logs'),
    workload,
    options: z
      .object({
        previous: z.boolean().optional(),
        tailLines: z.int().optional(),
        sinceSeconds: z.int().optional(),
      })
      .optional(),
  }),
  z.object({ verb: z.literal('list-network-policies') }),
  z.object({ verb: z.literal('delete-network-policy'), name: z.string().min(1) }),
  z.object({ verb: z.literal('delete-network-policies'), selector: z.string().min(1) }),
  z.object({ verb: z.literal('rollout-undo'), workload }),
  z.object({
    verb: z.literal('exec-check'),
    workload,
    check: z.enum(['tcp', 'dns', 'env', 'sql', 'redis-ping', 'ps']),
    target: z.string().optional(),
  }),
]);

/** Every way firedrill knows to break the system. Each kind has an inject and a revert. */
export const faultSchema = z.discriminatedUnion('kind', [
  /** No fault: a control run, to measure false positives. */
  z.object({ kind: z.literal('none') }),
  /** Roll out a configuration the service refuses at start (crash loop). */
  z.object({ kind: z.literal('bad-config-rollout'), workload, env: z.record(z.string(), z.string()) }),
  /** Take a dependency down: SIGKILL / pod delete left down, or scale to zero. */
  z.object({
    kind: z.literal('dependency-down'),
    workload,
    mode: z.enum(['kill', 'scale-to-zero']).default('kill'),
  }),
  /** Hold every database connection so the service's pool starves. */
  z.object({ kind: z.literal('pool-exhaustion'), workload, connections: z.int().positive().default(100) }),
  /** Rate-limit the (mock) LLM API below the council's demand. */
  z.object({
    kind: z.literal('llm-rate-limit'),
    requestsPerSecond: z.number().positive(),
    burst: z.int().positive().default(1),
    retryAfterSeconds: z.number().positive().default(1),
  }),
  /** CPU/memory pressure: lowered limits, a stressor in the workload's cgroup, or an OOM. */
  z.object({
    kind: z.literal('resource-pressure'),
    workload,
    mode: z.enum(['cpu-stress', 'memory-limit', 'oom']),
    resources: resources.optional(),
  }),
  /** Deny traffic from one workload to its dependencies. */
  z.object({ kind: z.literal('network-deny'), from: workload, to: z.array(workload).min(1) }),
  /** Service names stop resolving for one workload. */
  z.object({ kind: z.literal('dns-failure'), workload, names: z.array(z.string()).min(1) }),
]);

export const verificationCheckSchema = z.enum([
  'health',
  'dependencies',
  'functional',
  'data-integrity',
  'performance',
  /** A new task goes all the way through council and the LLM API to `done`. */
  'task-completion',
]);

export const scenarioSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]*$/, 'lower-case words joined by dashes, e.g. db-outage'),
    title: z.string().min(1),
    description: z.string().default(''),
    /** Severity the runbook would assign to this outage (its own table). */
    severity: z.enum(['critical', 'high', 'medium', 'low']),
    runbook: z.object({
      /** Path relative to the repository root; default the target's runbook; `--runbook` overrides it. */
      file: z.string().min(1).optional(),
      /** Resolution section to execute, matched against the runbook's headings. */
      section: z.string().min(1),
    }),
    fault: faultSchema,
    detection: z.object({
      /** Alerts that count as "the monitoring noticed" (any of them). */
      alerts: z.array(z.string().min(1)).min(1),
      timeoutMs: z.int().positive().default(minutes(5)),
    }),
    remediation: z
      .object({
        /** Fix steps the runbook lacks; running any of them makes the outcome resolved-with-extra-steps. */
        extraSteps: z
          .array(
            z.object({
              description: z.string().min(1),
              action: platformActionSchema,
              notInRunbook: z.literal(true),
            }),
          )
          .default([]),
      })
      .default({ extraSteps: [] }),
    verification: z
      .object({
        checks: z
          .array(verificationCheckSchema)
          .min(1)
          .default(['health', 'dependencies', 'functional', 'data-integrity']),
        consecutivePasses: z.int().positive().default(3),
        intervalMs: z.int().positive().default(1000),
        /** How long the task-completion check waits for a task to reach `done`. */
        taskCompletionTimeoutMs: z.int().positive().default(5000),
      })
      .default({
        checks: ['health', 'dependencies', 'functional', 'data-integrity'],
        consecutivePasses: 3,
        intervalMs: 1000,
        taskCompletionTimeoutMs: 5000,
      }),
    targets: z
      .object({
        mttdMs: z.int().positive().default(DEFAULT_TARGETS.mttdMs),
        mttrMs: z.int().positive().default(DEFAULT_TARGETS.mttrMs),
      })
      .default({ ...DEFAULT_TARGETS }),
    timeouts: z
      .object({
        preflightMs: z.int().positive().default(minutes(2)),
        steadyStateMs: z.int().positive().default(minutes(1)),
        injectMs: z.int().positive().default(30_000),
        remediateMs: z.int().positive().default(minutes(5)),
        verifyMs: z.int().positive().default(minutes(2)),
        restoreMs: z.int().positive().default(minutes(1)),
      })
      .default({
        preflightMs: minutes(2),
        steadyStateMs: minutes(1),
        injectMs: 30_000,
        remediateMs: minutes(5),
        verifyMs: minutes(2),
        restoreMs: minutes(1),
      }),
  })
  .strict();

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.output<typeof scenarioSchema>;
export type Fault = Scenario['fault'];
export type FaultKind = Fault['kind'];
export type VerificationCheck = z.output<typeof verificationCheckSchema>;

/**
 * Declare a scenario. Validation happens when the scenario is loaded, so a bad file is
 * reported with its path and field before any system is touched.
 *
 * @example
 * export default defineScenario({
 *   name: 'db-outage', title: 'Database connection loss', severity: 'critical',
 *   runbook: { section: 'Database connection loss' },
 *   fault: { kind: 'dependency-down', workload: 'shop-postgres' },
 *   detection: { alerts: ['APIHealthCheckFailing'] },
 * });
 */
export function defineScenario(input: ScenarioInput): ScenarioInput {
  return input;
}

/** One line per problem: `field.path: message`. */
export function formatIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}

/**
 * The drilled system as configuration: what firedrill needs to know about a target (where its
 * stack is declared, which service is the entry, how to verify it, where its scenarios, runbook
 * and alert rules are, which fault adapters it brings). Nothing in the engine names a system;
 * this document does. Paths are relative to the config file.
 */
import { z } from 'zod';

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const path = z.string().min(1);
/** An HTTP path on the entry service, e.g. /health. */
const route = z.string().regex(/^\//, 'an HTTP path starting with /, e.g. /health');

const kube = z.union([
  /** Manifests (a kustomize dir) firedrill applies before the drill and deletes after it. */
  z.object({ manifests: path }).strict(),
  /** Drill what is already deployed: snapshot, inject, restore; never apply. */
  z.object({ existing: z.literal(true) }).strict(),
]);

const apiKey = z.union([
  /** Read from the entry service's environment (the local stack's or the pod's env). */
  z.object({ fromEnv: z.string().min(1) }).strict(),
  z.object({ value: z.string() }).strict(),
]);

/**
 * Verification checks as data. The record protocol is fixed: POST `records` with
 * `{"description": …}` answers 201 `{id}`; GET `records/<id>` answers `{id, description, status}`.
 */
const checks = z
  .object({
    /** `health`: GET answers 2xx. */
    health: route,
    /** `dependencies`: each GET answers 2xx; a failure names `/health/<dependency>`. */
    dependencies: z.array(route).default([]),
    /** Where `data-integrity`, `functional` and `task-completion` write and read records. */
    records: route.optional(),
    /** `functional`: after writing a record, this GET's body must mention the record's id. */
    functional: route.optional(),
    /** `performance`: 20 GETs, p95 and error rate against the runbook's thresholds. */
    performance: route.optional(),
  })
  .strict();

/** Background traffic during the drill: weights and the routes they hit (tasks = a record POST). */
const load = z
  .object({
    mix: z
      .object({ status: z.int().min(0), health: z.int().min(0), tasks: z.int().min(0) })
      .strict()
      .default({ status: 3, health: 1, tasks: 1 }),
    paths: z.object({ status: route, health: route, tasks: route }).strict().partial().default({}),
  })
  .strict();

const alerts = z
  .object({
    /** The alert source (PromQL templates and timing profiles) the probes and projections read. */
    source: path,
    /** The rendered Prometheus rule files, one per detection profile. */
    rules: z.object({ fast: path, production: path }).strict(),
  })
  .strict();

export const configSchema = z
  .object({
    name: z.string().regex(NAME, 'lower-case words joined by dashes, e.g. shop'),
    namespace: z.string().regex(NAME, 'a Kubernetes namespace name, e.g. shop'),
    local: z.object({ stackFile: path }).strict().optional(),
    kube: kube.optional(),
    entry: z
      .object({
        /** The workload requests enter through (checks, load and probes talk to it). */
        service: z.string().min(1),
        /** The public URL the runbook's commands use; the drill maps it to the service. */
        publicUrl: z.url().optional(),
        apiKey: apiKey.optional(),
      })
      .strict(),
    checks,
    load: load.default({ mix: { status: 3, health: 1, tasks: 1 }, paths: {} }),
    /** The directory of scenario files (`pnpm scenario --list`). */
    scenarios: path,
    /** The runbook a scenario verifies unless it names its own. */
    runbook: path,
    alerts: alerts.optional(),
    /**
     * The built-in probes (detection without Prometheus) evaluate Agent Agency's alert set over
     * the entry's /health and /health/<dependency> routes: only a system that declares `probes`
     * is drilled with them. `metrics`: a workload's endpoint with the counters they read.
     */
    probes: z
      .object({
        metrics: z
          .object({ service: z.string().min(1), path: route })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    /**
     * Which dependencies (by the last segment of their `checks.dependencies` route) the runbook's
     * escalation triggers "production database issues" and "external dependency failure" mean.
     */
    escalation: z
      .object({ database: z.array(z.string()).default([]), external: z.array(z.string()).default([]) })
      .strict()
      .default({ database: [], external: [] }),
    /** MTTD/MTTR targets for scenarios that set none (the runbook's KPIs still win). */
    targets: z
      .object({ mttdMs: z.int().positive().optional(), mttrMs: z.int().positive().optional() })
      .strict()
      .optional(),
    /** Modules whose default export is a fault adapter (defineFaultAdapter) for this system. */
    faults: z.array(path).default([]),
  })
  .strict();

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
export type CheckRoutes = Config['checks'];
export type LoadConfig = Config['load'];

/**
 * Declare the system firedrill drills. Validation happens when the config is loaded, so a bad
 * field is reported with the file and its path before any system is touched.
 *
 * @example
 * export default defineConfig({
 *   name: 'shop', namespace: 'shop',
 *   local: { stackFile: './local-stack.yaml' },
 *   kube: { existing: true },
 *   entry: { service: 'shop-web', publicUrl: 'https://shop.example.com' },
 *   checks: { health: '/healthz', dependencies: ['/healthz/redis'] },
 *   scenarios: './scenarios', runbook: './runbook.md',
 * });
 */
export function defineConfig(input: ConfigInput): ConfigInput {
  return input;
}

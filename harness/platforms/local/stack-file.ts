/**
 * The local stack declaration: the Kubernetes topology (workloads, replicas, env, resources,
 * readiness, dependencies) written for processes on this machine. Read by path, validated
 * before anything starts, and a bad field is named as `file: path.to.field: problem`.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { UserError } from '../../core/errors.ts';
import { cpuCores, memoryBytes } from '../../core/quantity.ts';

const NAME = /^[a-z][a-z0-9-]*$/;
/** Placeholders a process workload's command and env may use, besides ${endpoint:NAME}. */
export const PLACEHOLDERS = ['node', 'stackDir', 'port', 'pod', 'namespace'];

const memory = z.string().refine((q) => safe(() => memoryBytes(q)), 'memory quantity such as 256Mi or 1Gi');
const cpu = z.string().refine((q) => safe(() => cpuCores(q)), 'CPU quantity such as 500m or 1');
const resources = z
  .object({
    limits: z.object({ cpu: cpu.optional(), memory: memory.optional() }).strict().optional(),
    requests: z.object({ cpu: cpu.optional(), memory: memory.optional() }).strict().optional(),
  })
  .strict()
  .default({});

const readiness = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('http'),
      path: z.string().startsWith('/'),
      periodMs: z.int().positive().default(1000),
    })
    .strict(),
  z.object({ type: z.literal('tcp'), periodMs: z.int().positive().default(1000) }).strict(),
]);

const common = {
  name: z.string().regex(NAME, 'lower-case words joined by dashes'),
  dependsOn: z.array(z.string()).default([]),
  resources,
  /** How long a stopping instance gets between SIGTERM (SIGINT for postgres) and SIGKILL. */
  terminationGracePeriodMs: z.int().min(0).default(2000),
};

const processWorkload = z
  .object({
    ...common,
    kind: z.literal('process'),
    replicas: z.int().min(0).default(1),
    /** argv; placeholders: ${node} ${stackDir} ${port} ${pod} ${namespace} ${endpoint:WORKLOAD}. */
    command: z.array(z.string().min(1)).min(1),
    env: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment variable name'), z.string())
      .default({}),
    readiness: readiness.default({ type: 'tcp', periodMs: 1000 }),
    strategy: z.enum(['RollingUpdate', 'Recreate']).default('RollingUpdate'),
    /** Where Prometheus scrapes each pod, and the `job` label the alert rules select on. */
    metrics: z
      .object({
        job: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_-]*$/, 'Prometheus job name'),
        path: z.string().startsWith('/').default('/metrics'),
      })
      .strict()
      .optional(),
    /** Scheme of ${endpoint:...} URLs pointing at this workload. */
    scheme: z.enum(['http', 'tcp']).default('http'),
  })
  .strict();

const postgresWorkload = z
  .object({
    ...common,
    kind: z.literal('postgres'),
    replicas: z.literal(1).default(1),
    database: z.string().regex(/^[a-z_][a-z0-9_]*$/),
    user: z.string().regex(/^[a-z_][a-z0-9_]*$/),
    password: z.string().min(1),
    /** Extra `-c name=value` server settings, e.g. max_connections. */
    settings: z.record(z.string(), z.union([z.string(), z.number()])).default({}),
  })
  .strict();

const redisWorkload = z
  .object({ ...common, kind: z.literal('redis'), replicas: z.literal(1).default(1) })
  .strict();

const workloadSchema = z.discriminatedUnion('kind', [processWorkload, postgresWorkload, redisWorkload]);

/** The node the pods are scheduled on; without it, the machine's cores and memory. */
const node = z
  .object({
    allocatable: z
      .object({
        cpu: cpu.refine((q) => safe(() => cpuCores(q)) && cpuCores(q) > 0, 'more than 0 CPUs'),
        memory: memory.refine((q) => safe(() => memoryBytes(q)) && memoryBytes(q) > 0, 'more than 0 bytes'),
      })
      .strict(),
  })
  .strict();

export const stackFileSchema = z
  .object({
    namespace: z.string().regex(NAME).default('firedrill'),
    node: node.optional(),
    workloads: z.array(workloadSchema).min(1),
  })
  .strict();

export type WorkloadSpec = z.output<typeof workloadSchema>;
export type ProcessWorkloadSpec = z.output<typeof processWorkload>;
export type PostgresWorkloadSpec = z.output<typeof postgresWorkload>;

export interface StackSpec {
  readonly file: string;
  /** Directory of the stack file: ${stackDir} in commands. */
  readonly dir: string;
  readonly namespace: string;
  /** Declared node capacity (CPU cores, memory bytes); undefined = the machine's. */
  readonly allocatable?: { readonly cpu: number; readonly memory: number };
  /** In start order: every workload after the ones it depends on. */
  readonly workloads: readonly WorkloadSpec[];
}

/** `${endpoint:NAME}` references in a workload's env and command. */
export function endpointRefs(w: WorkloadSpec): string[] {
  if (w.kind !== 'process') return [];
  const text = [...w.command, ...Object.values(w.env)].join('\n');
  return [...new Set([...text.matchAll(/\$\{endpoint:([^}]+)\}/g)].map((m) => m[1] ?? ''))];
}

/**
 * Read and validate a stack file. Every problem is a UserError naming the file and the field.
 *
 * @example
 * const spec = loadStackFile('deploy/local-stack.yaml');
 * spec.workloads.map((w) => w.name); // ['shop-postgres', ...]
 */
export function loadStackFile(path: string): StackSpec {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`stack file ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new UserError(`stack file ${file}: invalid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const parsed = stackFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? issue.path.join('.') : '(top level)';
    throw new UserError(`stack file ${file}: ${where}: ${issue.message}`);
  }
  const workloads = parsed.data.workloads;
  const fail = (i: number, field: string, problem: string): never => {
    throw new UserError(`stack file ${file}: workloads.${i}.${field}: ${problem}`);
  };
  const names = new Set<string>();
  workloads.forEach((w, i) => {
    if (names.has(w.name)) fail(i, 'name', `"${w.name}" is declared twice`);
    names.add(w.name);
  });
  workloads.forEach((w, i) => {
    w.dependsOn.forEach((d, j) => {
      if (!names.has(d)) fail(i, `dependsOn.${j}`, `unknown workload "${d}"`);
    });
    if (w.kind === 'process') {
      const fields = [
        ...w.command.map((c, j) => [`command.${j}`, c]),
        ...Object.entries(w.env).map(([k, v]) => [`env.${k}`, v]),
      ];
      for (const [field, value] of fields) {
        for (const m of (value ?? '').matchAll(/\$\{([^}]*)\}/g)) {
          const p = m[1] ?? '';
          if (!PLACEHOLDERS.includes(p) && !p.startsWith('endpoint:')) {
            fail(
              i,
              field ?? '',
              `unknown placeholder \${${p}} (known: ${PLACEHOLDERS.map((k) => `\${${k}}`).join(' ')} \${endpoint:NAME})`,
            );
          }
        }
      }
    }
    for (const ref of endpointRefs(w)) {
      if (!names.has(ref)) fail(i, 'env', `\${endpoint:${ref}} names an unknown workload`);
      if (ref === w.name) fail(i, 'env', `\${endpoint:${ref}} points at the workload itself`);
    }
  });
  return {
    file,
    dir: dirname(file),
    namespace: parsed.data.namespace,
    ...(parsed.data.node
      ? {
          allocatable: {
            cpu: cpuCores(parsed.data.node.allocatable.cpu),
            memory: memoryBytes(parsed.data.node.allocatable.memory),
          },
        }
      : {}),
    workloads: startOrder(file, workloads),
  };
}

/** Dependencies first, declaration order otherwise; a cycle is a user error. */
function startOrder(file: string, workloads: WorkloadSpec[]): WorkloadSpec[] {
  const byName = new Map(workloads.map((w) => [w.name, w]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const out: WorkloadSpec[] = [];
  const visit = (w: WorkloadSpec, chain: string[]) => {
    if (done.has(w.name)) return;
    if (visiting.has(w.name)) {
      throw new UserError(`stack file ${file}: dependsOn has a cycle: ${[...chain, w.name].join(' -> ')}`);
    }
    visiting.add(w.name);
    for (const d of w.dependsOn) visit(byName.get(d)!, [...chain, w.name]);
    visiting.delete(w.name);
    done.add(w.name);
    out.push(w);
  };
  for (const w of workloads) visit(w, []);
  return out;
}

function safe(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
}

/**
 * `halt` on Kubernetes: the workload's containers are made to crash, the way a crashed server
 * stays down until someone restarts it. Its pods are stopped (scale to zero, deleted with a
 * short grace period, awaited), the pod template's command becomes one that prints a line and
 * exits 1, and the replicas come back: the pods are there, in CrashLoopBackOff, never ready.
 * So `kubectl get pods` shows a crash loop and `kubectl logs deployment/...` answers at once, as
 * for a crashed server. The original commands and replicas are kept in the annotation
 * firedrill.dev/halted (and in memory); the platform contract says a halted workload stays down
 * "until its next rollout restart, scale or env change": any later change of the deployment's
 * spec (which bumps its generation), by the runbook or anyone, ends the halt through the
 * deployment watch, and the original commands replace the crashing ones (a command the change
 * set itself is kept). A scale to the count it already has changes nothing on Kubernetes and
 * so does not end the halt, where the local platform ends it (KubeStack.haltDiffers says so).
 */
import type { V1Container, V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { Clock } from '../../core/clock.ts';
import { errorMessage } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import { type JsonPatchOp, type KubeApi, pointer, removeOps } from './api.ts';

export const HALTED = 'firedrill.dev/halted';
/** The marker's JSON pointer, for patches that set or take it away. */
export const HALTED_PATH = `/metadata/annotations/${pointer(HALTED)}`;

/** What a halt took away, as kept in the annotation: enough to undo it after a crash. */
export interface HaltRecord {
  readonly replicas: number;
  readonly containers: readonly {
    readonly name: string;
    readonly command?: string[] | undefined;
    readonly args?: string[] | undefined;
  }[];
}

/** The container command while halted; an image without a shell fails to start, which crashes too. */
export const crashCommand = (name: string): string[] => [
  '/bin/sh',
  '-c',
  `echo "firedrill: ${name} is halted (a drill's dependency-down fault); it exits until its next rollout restart, scale or env change" >&2; exit 1`,
];

/** A field set to `value`, or taken away when `value` is undefined; holds whether or not it is there now. */
export const setOrRemove = (path: string, value: unknown): JsonPatchOp[] =>
  value === undefined ? removeOps(path) : [{ op: 'add', path, value }];

/**
 * Ops that give each container (by index, guarded by its name) the command and args listed;
 * an undefined entry leaves its container as it is.
 */
function commandOps(containers: readonly (HaltRecord['containers'][number] | undefined)[]): JsonPatchOp[] {
  return containers.flatMap((c, i) => {
    if (!c) return [];
    const base = `/spec/template/spec/containers/${i}`;
    return [
      { op: 'test', path: `${base}/name`, value: c.name } as JsonPatchOp,
      ...setOrRemove(`${base}/command`, c.command),
      ...setOrRemove(`${base}/args`, c.args),
    ];
  });
}

/** The halt recorded on `d`, if any (a marker that cannot be read is reported, not guessed at). */
export function haltOf(d: V1Deployment): HaltRecord | undefined {
  const raw = d.metadata?.annotations?.[HALTED];
  if (raw === undefined) return undefined;
  let h: HaltRecord | undefined;
  try {
    h = JSON.parse(raw) as HaltRecord;
  } catch {
    // reported below
  }
  if (!Number.isInteger(h?.replicas) || !Array.isArray(h?.containers))
    throw new Error(
      `${d.metadata?.name}: unreadable ${HALTED} annotation: ${raw} (put its commands back by hand, then remove the annotation)`,
    );
  return h!;
}

/**
 * Ops that end the halt recorded on `d`: commands back, marker gone; replicas only if still at
 * zero. A container whose command someone changed while it was halted (a runbook step that
 * fixes the entrypoint, say) keeps that change: only the crashing command is taken back.
 */
export function endHaltOps(d: V1Deployment, h: HaltRecord): JsonPatchOp[] {
  const crashing = JSON.stringify(crashCommand(d.metadata?.name ?? '?'));
  const now = d.spec?.template.spec?.containers ?? [];
  return [
    ...commandOps(h.containers.map((c, i) => (JSON.stringify(now[i]?.command) === crashing ? c : undefined))),
    ...((d.spec?.replicas ?? 1) === 0
      ? [{ op: 'add', path: '/spec/replicas', value: h.replicas } as JsonPatchOp]
      : []),
    ...removeOps(HALTED_PATH),
  ];
}

const commandOf = (c: V1Container) => ({
  name: c.name,
  ...(c.command ? { command: [...c.command] } : {}),
  ...(c.args ? { args: [...c.args] } : {}),
});

/** Ops that start a halt of `d`: marker, zero replicas, crashing commands; and the record kept. */
export function haltOps(d: V1Deployment): { record: HaltRecord; ops: JsonPatchOp[] } {
  const name = d.metadata?.name ?? '?';
  const containers = d.spec?.template.spec?.containers ?? [];
  const record: HaltRecord = { replicas: d.spec?.replicas ?? 1, containers: containers.map(commandOf) };
  const ops: JsonPatchOp[] = [
    ...(d.metadata?.annotations
      ? []
      : [{ op: 'add', path: '/metadata/annotations', value: {} } as JsonPatchOp]),
    { op: 'add', path: HALTED_PATH, value: JSON.stringify(record) },
    { op: 'add', path: '/spec/replicas', value: 0 },
    ...commandOps(containers.map((c) => ({ name: c.name, command: crashCommand(name) }))),
  ];
  return { record, ops };
}

/** Past the pod's own grace period, how long a stopping pod may take before we say so. */
const STOP_SLACK_MS = 15_000;

/** How long the pods of `d` may take to stop: their grace period (Kubernetes' default 30 s), plus slack. */
export function stopBoundMs(d: V1Deployment): number {
  return (d.spec?.template.spec?.terminationGracePeriodSeconds ?? 30) * 1000 + STOP_SLACK_MS;
}

/**
 * Until `podsOf()` is empty (the kubelet has stopped every container and the API dropped the
 * pods) or `ms` passes; the pods still there at the end (empty when all are gone).
 */
export async function untilPodsGone(
  podsOf: () => readonly V1Pod[],
  clock: Clock,
  ms: number,
): Promise<string[]> {
  const start = clock.now().monoMs;
  for (;;) {
    const left = podsOf().map((p) => p.metadata?.name ?? '?');
    if (left.length === 0 || clock.now().monoMs - start >= ms) return left;
    await clock.sleep(200);
  }
}

export interface HaltParts {
  readonly api: KubeApi;
  readonly log: Logger;
  readonly clock: Clock;
  /** The workload's pods, from the watch cache. */
  readonly podsOf: (name: string) => readonly V1Pod[];
  readonly observe: (d: V1Deployment) => void;
}

export class Halts {
  private readonly parts: HaltParts;
  /**
   * Workload -> its generation once halted, and what the halt took away. Any later spec change
   * bumps the generation: that ends the halt.
   */
  private readonly halted = new Map<string, { generation: number; record: HaltRecord }>();

  constructor(parts: HaltParts) {
    this.parts = parts;
  }

  /**
   * Stop the pods, then bring the replicas back with the crashing command; returns once the
   * old pods are gone and the crashing ones are asked for. The old pods are stopped first,
   * not replaced by a rollout: a RollingUpdate would keep the old server serving beside a new
   * pod that never gets ready. They are deleted with a 1 s grace period, not force-deleted
   * (grace 0): that only drops the API object, while the kubelet still lets the container run
   * out the grace period it started with. Measured on the self-built cluster: when the
   * ReplicaSet's own graceful delete got there first, a force-deleted Postgres served its
   * pooled sessions for the whole 20 s (so the halt went undetected).
   */
  async halt(current: V1Deployment): Promise<void> {
    const name = current.metadata!.name!;
    const { record, ops } = haltOps(current);
    if (record.replicas === 0) throw new Error(`${name} is already scaled to zero`);
    const pods = this.parts.podsOf(name).map((p) => p.metadata?.name ?? '');
    const stopped = await this.parts.api.patchDeployment(name, ops);
    this.parts.observe(stopped);
    await Promise.all(
      pods.filter(Boolean).map((pod) => this.parts.api.deletePod(pod, 1).catch(() => undefined)),
    );
    const bound = stopBoundMs(current);
    const left = await untilPodsGone(() => this.parts.podsOf(name), this.parts.clock, bound);
    if (left.length)
      throw new Error(
        `${name}: pod(s) ${left.join(', ')} still not stopped ${bound / 1000} s after the halt (grace period plus ${STOP_SLACK_MS / 1000} s)`,
      );
    const crashing = await this.parts.api.mergePatchDeployment(name, { spec: { replicas: record.replicas } });
    this.parts.observe(crashing);
    this.halted.set(name, { generation: crashing.metadata?.generation ?? 0, record });
  }

  isHalted(name: string): boolean {
    return this.halted.has(name);
  }

  /**
   * End the halt now, if `name` is halted: commands back (a rollout), marker gone. For the
   * platform's own changes, which then need not wait for the watch. Whether it was halted.
   */
  async end(name: string, current: V1Deployment): Promise<boolean> {
    const h = this.halted.get(name);
    if (!h) return false;
    this.halted.delete(name);
    this.parts.observe(await this.parts.api.patchDeployment(name, endHaltOps(current, h.record)));
    return true;
  }

  /** Deployment watch listener: a spec change by anyone after the halt ends it. */
  onDeployment(d: V1Deployment): void {
    const name = d.metadata?.name;
    const h = name ? this.halted.get(name) : undefined;
    if (!name || !h || (d.metadata?.generation ?? 0) <= h.generation) return;
    this.parts.log.info(`${name}: deployment changed while halted; putting its command back`);
    this.end(name, d).catch((err: unknown) =>
      this.parts.log.warn(`${name}: could not end the halt: ${errorMessage(err)}`),
    );
  }
}

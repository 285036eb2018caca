/**
 * `halt` on Kubernetes: the workload is scaled to zero, its pods are deleted with a short grace
 * period and awaited until the kubelet has stopped them, and its replica count is remembered
 * (in the annotation firedrill.dev/halted-replicas, and in memory). The platform contract says a
 * halted workload stays down "until its next rollout restart, scale or env change", the way a
 * crashed server stays down until someone restarts it. A scale by anyone ends the halt by
 * itself; for a change of the pod template (`kubectl rollout restart`, `kubectl set env`, by
 * the runbook or anyone), the deployment watch brings the remembered replicas back.
 * Unlike a crashed server, a halted workload has no pod at all: a step that needs one waits
 * kubectl's --pod-running-timeout. The run record says so (KubeStack.haltDiffers).
 */
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { Clock } from '../../core/clock.ts';
import { errorMessage } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import { type KubeApi, pointer } from './api.ts';

export const HALTED_REPLICAS = 'firedrill.dev/halted-replicas';

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
   * Workload -> its generation right after the halt and the replicas to bring back. Any later
   * spec change bumps the generation; with replicas still at zero, it was the pod template.
   */
  private readonly halted = new Map<string, { generation: number; replicas: number }>();

  constructor(parts: HaltParts) {
    this.parts = parts;
  }

  /**
   * Scale to zero, delete the pods with a 1 s grace period, and return once they are gone.
   * Not a force delete (grace 0): that only drops the API object, while the kubelet still lets
   * the container run out the grace period it started with. Measured on the self-built cluster:
   * when the ReplicaSet's own graceful delete got there first, a force-deleted Postgres served
   * its pooled sessions for the whole 20 s (so the halt went undetected), and a replacement
   * started on the same data directory meanwhile. Waiting for the pods to go is what makes
   * "halted" true when this returns.
   */
  async halt(current: V1Deployment): Promise<void> {
    const name = current.metadata!.name!;
    const replicas = current.spec?.replicas ?? 1;
    if (replicas === 0) throw new Error(`${name} is already scaled to zero`);
    const pods = this.parts.podsOf(name).map((p) => p.metadata?.name ?? '');
    const d = await this.parts.api.mergePatchDeployment(name, {
      metadata: { annotations: { [HALTED_REPLICAS]: String(replicas) } },
      spec: { replicas: 0 },
    });
    this.parts.observe(d);
    this.halted.set(name, { generation: d.metadata?.generation ?? 0, replicas });
    await Promise.all(
      pods.filter(Boolean).map((pod) => this.parts.api.deletePod(pod, 1).catch(() => undefined)),
    );
    const bound = stopBoundMs(current);
    const left = await untilPodsGone(() => this.parts.podsOf(name), this.parts.clock, bound);
    if (left.length)
      throw new Error(
        `${name}: pod(s) ${left.join(', ')} still not stopped ${bound / 1000} s after the halt (grace period plus ${STOP_SLACK_MS / 1000} s)`,
      );
  }

  /** The workload was scaled or restored by the platform itself: the halt is over. */
  forget(name: string): void {
    this.halted.delete(name);
  }

  isHalted(name: string): boolean {
    return this.halted.has(name);
  }

  /** Deployment watch listener. */
  onDeployment(d: V1Deployment): void {
    const name = d.metadata?.name;
    const h = name ? this.halted.get(name) : undefined;
    if (!name || !h) return;
    if ((d.spec?.replicas ?? 0) > 0) {
      // Someone scaled it: their replica count wins; only the marker goes.
      this.halted.delete(name);
      void this.clearMarker(name);
      return;
    }
    if ((d.metadata?.generation ?? 0) <= h.generation) return;
    this.halted.delete(name);
    this.parts.log.info(`${name}: pod template changed while halted; bringing back ${h.replicas} replica(s)`);
    this.parts.api
      .mergePatchDeployment(name, {
        metadata: { annotations: { [HALTED_REPLICAS]: null } },
        spec: { replicas: h.replicas },
      })
      .then(this.parts.observe, (err: unknown) =>
        this.parts.log.warn(`${name}: could not end the halt: ${errorMessage(err)}`),
      );
  }

  private async clearMarker(name: string): Promise<void> {
    try {
      this.parts.observe(
        await this.parts.api.patchDeployment(name, [
          { op: 'remove', path: `/metadata/annotations/${pointer(HALTED_REPLICAS)}` },
        ]),
      );
    } catch {
      // already gone
    }
  }
}

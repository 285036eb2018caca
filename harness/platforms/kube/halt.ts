/**
 * `halt` on Kubernetes: the workload is scaled to zero, its pods are killed without a grace
 * period, and its replica count is remembered (in the annotation
 * firedrill.dev/halted-replicas, and in memory). The platform contract says a
 * halted workload stays down "until its next rollout restart, scale or env change", the way a
 * crashed server stays down until someone restarts it. A scale by anyone ends the halt by
 * itself; for a change of the pod template (`kubectl rollout restart`, `kubectl set env`, by
 * the runbook or anyone), the deployment watch brings the remembered replicas back.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import { errorMessage } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import { type KubeApi, pointer } from './api.ts';

export const HALTED_REPLICAS = 'firedrill.dev/halted-replicas';

export class Halts {
  private readonly api: KubeApi;
  private readonly log: Logger;
  /**
   * Workload -> its generation right after the halt and the replicas to bring back. Any later
   * spec change bumps the generation; with replicas still at zero, it was the pod template.
   */
  private readonly halted = new Map<string, { generation: number; replicas: number }>();
  private readonly observe: (d: V1Deployment) => void;

  constructor(api: KubeApi, log: Logger, observe: (d: V1Deployment) => void) {
    this.api = api;
    this.log = log;
    this.observe = observe;
  }

  /** Scale to zero, then kill the pods at once: a crash, not a graceful shutdown that lets
   * a database wait for its clients to leave. */
  async halt(current: V1Deployment, pods: readonly string[]): Promise<void> {
    const name = current.metadata!.name!;
    const replicas = current.spec?.replicas ?? 1;
    if (replicas === 0) throw new Error(`${name} is already scaled to zero`);
    const d = await this.api.mergePatchDeployment(name, {
      metadata: { annotations: { [HALTED_REPLICAS]: String(replicas) } },
      spec: { replicas: 0 },
    });
    this.observe(d);
    this.halted.set(name, { generation: d.metadata?.generation ?? 0, replicas });
    await Promise.all(pods.map((pod) => this.api.deletePod(pod, 0).catch(() => undefined)));
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
    this.log.info(`${name}: pod template changed while halted; bringing back ${h.replicas} replica(s)`);
    this.api
      .mergePatchDeployment(name, {
        metadata: { annotations: { [HALTED_REPLICAS]: null } },
        spec: { replicas: h.replicas },
      })
      .then(this.observe, (err: unknown) =>
        this.log.warn(`${name}: could not end the halt: ${errorMessage(err)}`),
      );
  }

  private async clearMarker(name: string): Promise<void> {
    try {
      this.observe(
        await this.api.patchDeployment(name, [
          { op: 'remove', path: `/metadata/annotations/${pointer(HALTED_REPLICAS)}` },
        ]),
      );
    } catch {
      // already gone
    }
  }
}

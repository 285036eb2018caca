/**
 * "The system is up": every deployment has rolled out (observed its latest generation, all
 * replicas updated, ready and available, no old pods left). Read from the watch caches, so the
 * wait costs no API calls. Pods that cannot start at all (image not on the node, broken
 * config) end the wait early with the reason and what to do about it.
 */
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { Clock } from '../../core/clock.ts';
import { UserError } from '../../core/errors.ts';

export function rolledOut(d: V1Deployment): boolean {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  return (
    (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
    (s.updatedReplicas ?? 0) === want &&
    (s.readyReplicas ?? 0) === want &&
    (s.availableReplicas ?? 0) === want &&
    (s.replicas ?? 0) === want
  );
}

const IMAGE_REASONS = new Set(['ErrImageNeverPull', 'ErrImagePull', 'ImagePullBackOff', 'InvalidImageName']);

/** A reason no amount of waiting fixes, as one actionable line. */
export function hopeless(pods: readonly V1Pod[]): string | undefined {
  for (const p of pods) {
    for (const s of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]) {
      const reason = s.state?.waiting?.reason;
      if (reason && IMAGE_REASONS.has(reason))
        return (
          `pod ${p.metadata?.name}: image ${s.image} is not on the node (${reason}); build and load the images ` +
          '(fixtures/k8s/images/build.sh, then `kind load docker-image` or `pnpm cluster up`)'
        );
      if (reason === 'CreateContainerConfigError')
        return `pod ${p.metadata?.name}: ${s.state?.waiting?.message ?? reason}`;
    }
  }
  return undefined;
}

export interface ReadyWait {
  readonly deployments: () => readonly V1Deployment[];
  readonly pods: () => readonly V1Pod[];
  readonly clock: Clock;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/** Resolves when every deployment rolled out; throws with the laggards after the timeout. */
export async function waitRolledOut(w: ReadyWait): Promise<void> {
  const start = w.clock.now().monoMs;
  for (;;) {
    const pending = w.deployments().filter((d) => !rolledOut(d));
    if (pending.length === 0) return;
    const stuck = hopeless(w.pods());
    if (stuck) throw new UserError(stuck);
    if (w.signal?.aborted) throw new Error('interrupted while waiting for the deployments');
    if (w.clock.now().monoMs - start > w.timeoutMs) {
      const what = pending
        .map((d) => `${d.metadata?.name} ${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 1} ready`)
        .join(', ');
      throw new Error(`deployments not rolled out after ${w.timeoutMs} ms: ${what}`);
    }
    await w.clock.sleep(250, w.signal);
  }
}

/**
 * Pods and Deployments as the runbook reads them: kubectl's STATUS column (CrashLoopBackOff,
 * OOMKilled, ...), READY, RESTARTS and the last termination, mapped onto the platform types.
 * Pure functions over API objects, so the mapping is tested without a cluster.
 */
import type { V1ContainerStatus, V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { PodStatus, ResourceSpec, WorkloadState } from '../types.ts';

/** Worst first: the workload's state is the worst state any of its pods is in. */
export const WORST_FIRST: readonly WorkloadState[] = [
  'CrashLoopBackOff',
  'OOMKilled',
  'Error',
  'Pending',
  'Terminating',
  'Unknown',
  'Running',
];

/** Waiting reasons that mean the container will not start without a change (kubectl shows them as-is). */
const BROKEN_WAITING = new Set([
  'CreateContainerConfigError',
  'CreateContainerError',
  'ErrImageNeverPull',
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'RunContainerError',
]);

function containerState(s: V1ContainerStatus): WorkloadState {
  const waiting = s.state?.waiting?.reason;
  if (waiting === 'CrashLoopBackOff') return 'CrashLoopBackOff';
  if (waiting && BROKEN_WAITING.has(waiting)) return 'Error';
  if (s.state?.terminated) return s.state.terminated.reason === 'OOMKilled' ? 'OOMKilled' : 'Error';
  if (s.state?.running) return 'Running';
  return 'Pending';
}

const worst = (states: readonly WorkloadState[]): WorkloadState =>
  WORST_FIRST.find((w) => states.includes(w)) ?? 'Unknown';

export function podState(pod: V1Pod): WorkloadState {
  if (pod.metadata?.deletionTimestamp) return 'Terminating';
  const init = pod.status?.initContainerStatuses ?? [];
  const initStates = init.filter((s) => s.state?.terminated?.exitCode !== 0);
  if (initStates.length) {
    const w = worst(initStates.map(containerState));
    // An init container still running or waiting normally reads Init:0/1: the pod is pending.
    return w === 'Running' ? 'Pending' : w;
  }
  const statuses = pod.status?.containerStatuses ?? [];
  if (statuses.length === 0) {
    const phase = pod.status?.phase;
    return phase === 'Failed' ? 'Error' : phase === 'Unknown' ? 'Unknown' : 'Pending';
  }
  return worst(statuses.map(containerState));
}

export const podReady = (pod: V1Pod): boolean =>
  !pod.metadata?.deletionTimestamp &&
  (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

export const podRestarts = (pod: V1Pod): number =>
  (pod.status?.containerStatuses ?? []).reduce((n, s) => n + (s.restartCount ?? 0), 0);

/** The most recent termination: the current one if the container is down, else lastState. */
export function lastTermination(
  pod: V1Pod,
  observedAtWallMs?: number,
): PodStatus['lastTermination'] | undefined {
  let best: { reason: string; exitCode?: number; atWallMs?: number } | undefined;
  for (const s of pod.status?.containerStatuses ?? []) {
    const t = s.state?.terminated ?? s.lastState?.terminated;
    if (!t) continue;
    const finished = t.finishedAt ? new Date(t.finishedAt).getTime() : undefined;
    if (best && (best.atWallMs ?? 0) >= (finished ?? 0)) continue;
    best = {
      reason: t.reason ?? (t.exitCode === 0 ? 'Completed' : 'Error'),
      exitCode: t.exitCode,
      ...(finished !== undefined ? { atWallMs: finished } : {}),
    };
  }
  // finishedAt has one-second resolution; the watch saw the change to the millisecond.
  if (best && observedAtWallMs !== undefined) best.atWallMs = observedAtWallMs;
  return best;
}

export function toPodStatus(pod: V1Pod, terminationSeenAtWallMs?: number): PodStatus {
  const last = lastTermination(pod, terminationSeenAtWallMs);
  return {
    name: pod.metadata?.name ?? '?',
    ready: podReady(pod),
    state: podState(pod),
    restarts: podRestarts(pod),
    ...(last ? { lastTermination: last } : {}),
  };
}

/** The workload's state: ScaledToZero, Pending (no pods yet), or its worst pod's. */
export function workloadState(desiredReplicas: number, pods: readonly PodStatus[]): WorkloadState {
  if (pods.length === 0) return desiredReplicas === 0 ? 'ScaledToZero' : 'Pending';
  return worst(pods.map((p) => p.state));
}

/** Resources of the deployment's first container (the one a runbook's `set resources` targets). */
export function containerResources(deployment: V1Deployment): ResourceSpec {
  const r = deployment.spec?.template.spec?.containers[0]?.resources;
  const pick = (m: Record<string, string> | undefined) => {
    if (!m) return undefined;
    const out: { cpu?: string; memory?: string } = {};
    if (m['cpu'] !== undefined) out.cpu = String(m['cpu']);
    if (m['memory'] !== undefined) out.memory = String(m['memory']);
    return out;
  };
  const limits = pick(r?.limits as Record<string, string> | undefined);
  const requests = pick(r?.requests as Record<string, string> | undefined);
  return { ...(limits ? { limits } : {}), ...(requests ? { requests } : {}) };
}

/** Does a label selector (matchLabels + matchExpressions) select these labels? */
export function selectorMatches(
  selector:
    | {
        matchLabels?: Record<string, string>;
        matchExpressions?: { key: string; operator: string; values?: string[] }[];
      }
    | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    const ok =
      e.operator === 'In'
        ? has && (e.values ?? []).includes(value!)
        : e.operator === 'NotIn'
          ? !has || !(e.values ?? []).includes(value!)
          : e.operator === 'Exists'
            ? has
            : e.operator === 'DoesNotExist'
              ? !has
              : false;
    if (!ok) return false;
  }
  return true;
}

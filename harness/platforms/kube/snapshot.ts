/**
 * What "put it back" means on a cluster that is reused between drills: every deployment's
 * replicas and rollout strategy, and each container's env and resources, as they were when the
 * drill began. The
 * runbook under test changes exactly these (scale, set env, set resources), and so do faults.
 * A snapshot becomes a JSON patch: applied in-process by down(), and as a kubectl command in the
 * ledger so `pnpm chaos cleanup` can apply it after a crash.
 */
import type {
  V1Container,
  V1Deployment,
  V1DeploymentStrategy,
  V1NetworkPolicy,
} from '@kubernetes/client-node';
import type { JsonPatchOp } from './api.ts';

export interface ContainerSnapshot {
  readonly name: string;
  readonly env: V1Container['env'];
  readonly resources: V1Container['resources'];
}

export interface DeploymentSnapshot {
  readonly name: string;
  readonly replicas: number;
  /** The rollout strategy: faults may widen it so a bad change reaches every pod at once. */
  readonly strategy: V1DeploymentStrategy | undefined;
  readonly containers: readonly ContainerSnapshot[];
}

const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

export function snapshotDeployment(d: V1Deployment): DeploymentSnapshot {
  return {
    name: d.metadata?.name ?? '?',
    replicas: d.spec?.replicas ?? 1,
    strategy: clone(d.spec?.strategy),
    containers: (d.spec?.template.spec?.containers ?? []).map((c) => ({
      name: c.name,
      env: clone(c.env),
      resources: clone(c.resources),
    })),
  };
}

/**
 * Ops that put `snap` back. Each container is addressed by index and guarded by a `test` of its
 * name, so the patch fails instead of writing into the wrong container. `add` replaces an
 * existing member (RFC 6902), so the ops hold whether or not the field exists now.
 */
export function restoreOps(snap: DeploymentSnapshot): JsonPatchOp[] {
  const ops: JsonPatchOp[] = [{ op: 'add', path: '/spec/replicas', value: snap.replicas }];
  if (snap.strategy) ops.push({ op: 'add', path: '/spec/strategy', value: snap.strategy });
  snap.containers.forEach((c, i) => {
    const base = `/spec/template/spec/containers/${i}`;
    ops.push({ op: 'test', path: `${base}/name`, value: c.name });
    ops.push({ op: 'add', path: `${base}/env`, value: c.env ?? [] });
    ops.push({ op: 'add', path: `${base}/resources`, value: c.resources ?? {} });
  });
  return ops;
}

/**
 * Key-order-independent JSON: objects from a watch are plain JSON, objects returned by
 * client-node calls are its model classes, and the two need not list fields in the same order.
 */
export function stableJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (v instanceof Date) return JSON.stringify(v.toISOString());
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  const entries = Object.entries(v as Record<string, unknown>)
    .filter(([, x]) => x !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableJson(x)}`).join(',')}}`;
}

const envKey = (env: V1Container['env']) => stableJson(env ?? []);
const resourcesKey = (r: V1Container['resources']) =>
  stableJson({ limits: r?.limits ?? {}, requests: r?.requests ?? {} });

/** Whether the live deployment differs from the snapshot in anything the snapshot restores. */
export function differs(snap: DeploymentSnapshot, live: V1Deployment): boolean {
  const now = snapshotDeployment(live);
  if (now.replicas !== snap.replicas || now.containers.length !== snap.containers.length) return true;
  if (snap.strategy && stableJson(now.strategy) !== stableJson(snap.strategy)) return true;
  return snap.containers.some((c, i) => {
    const l = now.containers[i]!;
    return (
      l.name !== c.name ||
      envKey(l.env) !== envKey(c.env) ||
      resourcesKey(l.resources) !== resourcesKey(c.resources)
    );
  });
}

/** A policy as it can be re-created: spec, labels and annotations, no server-side fields. */
export function cleanNetworkPolicy(p: V1NetworkPolicy): V1NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: p.metadata?.name ?? '?',
      ...(p.metadata?.namespace ? { namespace: p.metadata.namespace } : {}),
      ...(p.metadata?.labels ? { labels: { ...p.metadata.labels } } : {}),
    },
    spec: clone(p.spec) ?? { podSelector: {} },
  };
}

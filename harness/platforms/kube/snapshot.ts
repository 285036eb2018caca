/**
 * What "put it back" means on a cluster that is reused between drills: every deployment's
 * replicas and rollout strategy, and each container's env, resources, command and args, as they
 * were when the drill began. The runbook under test changes the first of these (scale, set env,
 * set resources), and faults change them all (a halt replaces the command).
 * A snapshot becomes a JSON patch: applied in-process by down(), and as a kubectl command in the
 * ledger so `pnpm chaos cleanup` can apply it after a crash.
 */
import {
  dumpYaml,
  loadYaml,
  type V1Container,
  type V1Deployment,
  type V1DeploymentStrategy,
  V1NetworkPolicy,
} from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { type JsonPatchOp, removeOps } from './api.ts';
import { HALTED_PATH, setOrRemove } from './halt.ts';

export interface ContainerSnapshot {
  readonly name: string;
  readonly env: V1Container['env'];
  readonly resources: V1Container['resources'];
  readonly command: V1Container['command'];
  readonly args: V1Container['args'];
}

export interface DeploymentSnapshot {
  readonly name: string;
  readonly replicas: number;
  /** The rollout strategy: faults may widen it so a bad change reaches every pod at once. */
  readonly strategy: V1DeploymentStrategy | undefined;
  readonly containers: readonly ContainerSnapshot[];
  /** Whether it has annotations at all: then a JSON patch can take the halt marker away. */
  readonly annotated: boolean;
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
      command: clone(c.command),
      args: clone(c.args),
    })),
    annotated: d.metadata?.annotations !== undefined,
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
    ops.push(...setOrRemove(`${base}/command`, c.command), ...setOrRemove(`${base}/args`, c.args));
  });
  // The halt marker (halt.ts) goes too, or a crashed drill's halt outlives `pnpm chaos cleanup`.
  if (snap.annotated) ops.push(...removeOps(HALTED_PATH));
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
      resourcesKey(l.resources) !== resourcesKey(c.resources) ||
      stableJson(l.command ?? null) !== stableJson(c.command ?? null) ||
      stableJson(l.args ?? null) !== stableJson(c.args ?? null)
    );
  });
}

/**
 * A policy as it can be re-created: spec and labels, no server-side fields, in client-node's
 * model shape whatever came in. A watch delivers the API's JSON (`from`), a list or a write
 * returns models (`_from`), and the client serializes only models right: given the API's JSON
 * it would drop `from`, re-creating an ingress policy open to every source.
 */
export function cleanNetworkPolicy(p: V1NetworkPolicy): V1NetworkPolicy {
  const model =
    p instanceof V1NetworkPolicy
      ? p
      : loadYaml<V1NetworkPolicy>(
          JSON.stringify({ ...(p as object), apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' }),
        );
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: model.metadata?.name ?? '?',
      ...(model.metadata?.namespace ? { namespace: model.metadata.namespace } : {}),
      ...(model.metadata?.labels ? { labels: { ...model.metadata.labels } } : {}),
    },
    spec: clone(model.spec) ?? { podSelector: {} },
  };
}

/** The API's own JSON of a cleanNetworkPolicy() result, for kubectl (a model's `_from` is refused there). */
export const wireNetworkPolicy = (p: V1NetworkPolicy): unknown => parseYaml(dumpYaml(p));

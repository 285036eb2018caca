/**
 * The kube platform's only way to reach an API server. `connectGuarded()` checks the context
 * and its server against the guard before it creates any client, so no code path can send a request to a
 * refused cluster. Patches name their strategy explicitly (client-node 2.x takes it as a header).
 */
import {
  AppsV1Api,
  CoreV1Api,
  type KubeConfig,
  NetworkingV1Api,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
  type V1NetworkPolicy,
} from '@kubernetes/client-node';
import { withDeadline } from '../../core/deadline.ts';
import { messageWithCause } from '../../core/errors.ts';
import { assertAllowed, type GuardPolicy, type KubeTarget } from './guard.ts';

export type JsonPatchOp =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string };

const JSON_PATCH = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/**
 * Ops that take `path` away whether or not it is there now: `add` creates or replaces the member
 * (RFC 6902), then `remove` takes it. Its parent must exist.
 */
export const removeOps = (path: string): JsonPatchOp[] => [
  { op: 'add', path, value: '' },
  { op: 'remove', path },
];

/** JSON pointer escaping for keys such as `firedrill.dev/halted`. */
export const pointer = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');

/** One readable line out of client-node's ApiException (whose message carries every header). */
export function apiErrorLine(err: unknown): string {
  const e = err as { code?: number; body?: unknown; message?: string };
  if (typeof e?.code === 'number') {
    let body = e.body as { message?: string } | string | undefined;
    if (typeof body === 'string') {
      try {
        body = JSON.parse(body) as { message?: string };
      } catch {}
    }
    const msg = typeof body === 'object' && body?.message ? body.message : String(e.message).split('\n')[1];
    return `HTTP ${e.code}: ${msg ?? 'error'}`;
  }
  return messageWithCause(err);
}

export const isNotFound = (err: unknown): boolean => (err as { code?: number })?.code === 404;

/** Reject after `ms`: a hung API server must not stall a drill phase. */
export function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return withDeadline(p, ms, () => new Error(`${what}: no answer from the API server in ${ms} ms`));
}

export class KubeApi {
  readonly config: KubeConfig;
  readonly context: string;
  readonly namespace: string;
  readonly apps: AppsV1Api;
  readonly core: CoreV1Api;
  readonly net: NetworkingV1Api;
  readonly requestTimeoutMs: number;

  private constructor(target: KubeTarget, namespace: string, requestTimeoutMs: number) {
    this.config = target.config;
    this.context = target.context;
    this.namespace = namespace;
    this.requestTimeoutMs = requestTimeoutMs;
    this.apps = target.config.makeApiClient(AppsV1Api);
    this.core = target.config.makeApiClient(CoreV1Api);
    this.net = target.config.makeApiClient(NetworkingV1Api);
  }

  /** Throws UserError for a context or server the guard refuses, before any client exists. */
  static connectGuarded(
    target: KubeTarget,
    policy: GuardPolicy,
    namespace: string,
    requestTimeoutMs = 15_000,
  ): KubeApi {
    assertAllowed(target, policy);
    return new KubeApi(target, namespace, requestTimeoutMs);
  }

  private call<T>(p: Promise<T>, what: string): Promise<T> {
    return bounded(p, this.requestTimeoutMs, what);
  }

  readDeployment(name: string): Promise<V1Deployment> {
    return this.call(this.apps.readNamespacedDeployment({ name, namespace: this.namespace }), `read ${name}`);
  }

  patchDeployment(name: string, ops: readonly JsonPatchOp[]): Promise<V1Deployment> {
    return this.call(
      this.apps.patchNamespacedDeployment(
        { name, namespace: this.namespace, body: ops, fieldManager: 'firedrill' },
        JSON_PATCH,
      ),
      `patch deployment ${name}`,
    );
  }

  mergePatchDeployment(name: string, body: object): Promise<V1Deployment> {
    return this.call(
      this.apps.patchNamespacedDeployment(
        { name, namespace: this.namespace, body, fieldManager: 'firedrill' },
        MERGE_PATCH,
      ),
      `patch deployment ${name}`,
    );
  }

  mergePatchNetworkPolicy(name: string, body: object): Promise<V1NetworkPolicy> {
    return this.call(
      this.net.patchNamespacedNetworkPolicy(
        { name, namespace: this.namespace, body, fieldManager: 'firedrill' },
        MERGE_PATCH,
      ),
      `patch networkpolicy ${name}`,
    );
  }

  createNetworkPolicy(body: V1NetworkPolicy): Promise<V1NetworkPolicy> {
    return this.call(
      this.net.createNamespacedNetworkPolicy({ namespace: this.namespace, body, fieldManager: 'firedrill' }),
      `create networkpolicy ${body.metadata?.name}`,
    );
  }

  /** Deletes; a policy already gone counts as deleted. */
  async deleteNetworkPolicy(name: string): Promise<boolean> {
    try {
      await this.call(
        this.net.deleteNamespacedNetworkPolicy({ name, namespace: this.namespace }),
        `delete networkpolicy ${name}`,
      );
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** `graceSeconds: 0` kills at once (SIGKILL), as `kubectl delete pod --grace-period=0 --force`. */
  deletePod(name: string, graceSeconds?: number): Promise<unknown> {
    return this.call(
      this.core.deleteNamespacedPod({
        name,
        namespace: this.namespace,
        ...(graceSeconds !== undefined ? { gracePeriodSeconds: graceSeconds } : {}),
      }),
      `delete pod ${name}`,
    );
  }

  async podLog(
    pod: string,
    container: string | undefined,
    opts: { previous?: boolean; tailLines?: number; sinceSeconds?: number },
  ): Promise<string> {
    return this.call(
      this.core.readNamespacedPodLog({
        name: pod,
        namespace: this.namespace,
        ...(container ? { container } : {}),
        ...(opts.previous ? { previous: true } : {}),
        ...(opts.tailLines !== undefined ? { tailLines: opts.tailLines } : {}),
        ...(opts.sinceSeconds !== undefined ? { sinceSeconds: opts.sinceSeconds } : {}),
      }),
      `logs of ${pod}`,
    );
  }
}

/**
 * Test support: what a drill changed on a Kubernetes cluster, read from the API server, the
 * mock LLM's own control API and the node's packet filter, never from the harness's ledger.
 * Capture the namespace before a cell (the baseline), then ask what differs after it.
 *
 * What each fault and the runbook can change, and where that is seen:
 * - env, resources, replicas, rollout strategy, image, command (bad-config-rollout,
 *   resource-pressure, dependency-down's halt, the runbook's kubectl): the workloads' whole specs
 *   and their firedrill.dev/ annotations (the halt marker);
 * - network faults: the NetworkPolicies' specs, labels and firedrill.dev/ annotations (a fault
 *   policy, allow policies suspended by a selector change), and the policies the node's iptables
 *   enforce (kube-router writes one chain per policy, naming it in a rule comment);
 * - the drill lock (a ConfigMap) and anything else created in the namespace;
 * - the mock LLM's injected rate limit (llm-rate-limit): each mock pod's /__control state;
 * - stressors (ephemeral containers) still running; workloads not back to ready.
 * Established connections cut by conntrack are not state: nothing to check there.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchV1Api,
  RbacAuthorizationV1Api,
  type V1Deployment,
  type V1Pod,
  type V1StatefulSet,
} from '@kubernetes/client-node';
import { systemClock } from '../core/clock.ts';
import { Ledger } from '../core/ledger.ts';
import { memoryLogger } from '../core/log.ts';
import { KubeApi } from '../platforms/kube/api.ts';
import { guardPolicy, loadTarget } from '../platforms/kube/guard.ts';
import { createKubePlatform } from '../platforms/kube/index.ts';
import { stableJson } from '../platforms/kube/snapshot.ts';

/** Annotations and labels the platform writes (halt marker, fault label, suspensions). */
const OURS = 'firedrill.dev/';
/** `kubectl rollout restart`'s stamp on the pod template: a record that pods were restarted (the runbook's remedy), not configuration. */
const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

export interface ClusterState {
  /** "deployment/NAME" or "statefulset/NAME" -> its spec and its firedrill.dev/ annotations. */
  readonly workloads: ReadonlyMap<string, unknown>;
  /** NetworkPolicy name -> its labels, firedrill.dev/ annotations and spec. */
  readonly policies: ReadonlyMap<string, unknown>;
  /** Other objects a drill could create: configmap/, service/, job/, bare pod/ names, and the
   * runbook steps' identity (serviceaccount/, role/, rolebinding/). */
  readonly objects: readonly string[];
  /** Workloads not rolled out and ready, pods not ready or terminating: one line each. */
  readonly unready: readonly string[];
  /** Ephemeral stressor containers still running. */
  readonly stressors: readonly string[];
  /** Mock LLM pod -> its fault controls as its /__control API reports them. */
  readonly llmControls: ReadonlyMap<string, unknown>;
  /** Names of the namespace's policies the node's iptables enforce; undefined where unreadable. */
  readonly enforced: readonly string[] | undefined;
}

/** Read-only access to the drill namespace, through the platform's own allow-list guard. */
export class ClusterReader {
  readonly api: KubeApi;
  private readonly batch: BatchV1Api;
  private readonly rbac: RbacAuthorizationV1Api;
  private readonly controls: { readonly app: string; readonly port: number } | undefined;

  /**
   * `controls`: the pods (by `app` label) whose `/__control` API holds fault state, e.g. a
   * mock upstream's rate limit; their controls are part of the footprint.
   */
  constructor(namespace: string, controls?: { readonly app: string; readonly port: number }) {
    this.controls = controls;
    const target = loadTarget({});
    this.api = KubeApi.connectGuarded(target, guardPolicy(), namespace);
    this.batch = target.config.makeApiClient(BatchV1Api);
    this.rbac = target.config.makeApiClient(RbacAuthorizationV1Api);
  }

  get namespace(): string {
    return this.api.namespace;
  }

  async capture(): Promise<ClusterState> {
    const namespace = this.namespace;
    const [accounts, roles, bindings] = await Promise.all([
      this.api.core.listNamespacedServiceAccount({ namespace }),
      this.rbac.listNamespacedRole({ namespace }),
      this.rbac.listNamespacedRoleBinding({ namespace }),
    ]);
    const [deployments, statefulsets, policies, configmaps, services, jobs, pods] = await Promise.all([
      this.api.apps.listNamespacedDeployment({ namespace }),
      this.api.apps.listNamespacedStatefulSet({ namespace }),
      this.api.net.listNamespacedNetworkPolicy({ namespace }),
      this.api.core.listNamespacedConfigMap({ namespace }),
      this.api.core.listNamespacedService({ namespace }),
      this.batch.listNamespacedJob({ namespace }),
      this.api.core.listNamespacedPod({ namespace }),
    ]);
    const workloads = new Map<string, unknown>();
    for (const d of deployments.items) workloads.set(`deployment/${d.metadata?.name}`, workloadShape(d));
    for (const s of statefulsets.items) workloads.set(`statefulset/${s.metadata?.name}`, workloadShape(s));
    const name = (kind: string) => (o: { metadata?: { name?: string } }) => `${kind}/${o.metadata?.name}`;
    return {
      workloads,
      policies: new Map(
        policies.items.map((p) => [
          p.metadata?.name ?? '?',
          { labels: p.metadata?.labels ?? {}, annotations: ours(p.metadata?.annotations), spec: p.spec },
        ]),
      ),
      objects: [
        ...configmaps.items.map(name('configmap')),
        ...services.items.map(name('service')),
        ...jobs.items.map(name('job')),
        ...pods.items.filter((p) => !p.metadata?.ownerReferences?.length).map(name('pod')),
        ...accounts.items.map(name('serviceaccount')),
        ...roles.items.map(name('role')),
        ...bindings.items.map(name('rolebinding')),
      ].sort(),
      unready: [
        ...deployments.items.flatMap((d) => unrolled('deployment', d)),
        ...statefulsets.items.flatMap((s) => unrolled('statefulset', s)),
        ...pods.items.flatMap(podUnready),
      ],
      stressors: pods.items.flatMap((p) =>
        (p.status?.ephemeralContainerStatuses ?? [])
          .filter((c) => c.name.startsWith('firedrill-stress-') && c.state?.running)
          .map((c) => `${p.metadata?.name}/${c.name}`),
      ),
      llmControls: await this.llmControls(pods.items),
      enforced: enforcedPolicies(namespace),
    };
  }

  /** Each mock LLM pod asked through the API server's pod proxy, so no route to pods is needed. */
  private async llmControls(pods: readonly V1Pod[]): Promise<Map<string, unknown>> {
    const out = new Map<string, unknown>();
    const controls = this.controls;
    if (!controls) return out;
    for (const p of pods.filter((p) => p.metadata?.labels?.['app'] === controls.app && isReady(p))) {
      const pod = p.metadata!.name!;
      try {
        out.set(
          pod,
          await this.api.core.connectGetNamespacedPodProxyWithPath({
            name: `${pod}:${controls.port}`,
            namespace: this.namespace,
            path: '__control',
          }),
        );
      } catch (err) {
        out.set(pod, `unreadable: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
      }
    }
    return out;
  }

  /** The drill lock, or undefined when no drill holds the namespace. */
  /** Capture until `done` says so or `ms` passes; the last capture either way. */
  async captureUntil(ms: number, done: (s: ClusterState) => boolean): Promise<ClusterState> {
    const start = systemClock.now().monoMs;
    for (;;) {
      const state = await this.capture();
      if (done(state) || systemClock.now().monoMs - start > ms) return state;
      await systemClock.sleep(1000);
    }
  }

  /**
   * A fresh cluster has no system deployed yet, and the first drill's deploy is no leftover:
   * deploy `manifests` the way a drill's up() does, so a baseline captured next has them.
   */
  async ensureDeployed(manifests: string): Promise<void> {
    if ((await this.capture()).workloads.size > 0) return;
    const dir = mkdtempSync(join(tmpdir(), 'firedrill-deploy-'));
    const ledger = Ledger.open(join(dir, 'ledger'), 'test-deploy');
    try {
      const platform = createKubePlatform({
        ledger,
        namespace: this.namespace,
        manifests,
        log: memoryLogger(),
      });
      const stack = await platform.up({ stateDir: join(dir, 'run') });
      await stack.down();
    } finally {
      ledger.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  async lockHolder(): Promise<string | undefined> {
    const cms = await this.api.core.listNamespacedConfigMap({ namespace: this.namespace });
    const lock = cms.items.find((c) => c.metadata?.name === 'firedrill-drill-lock');
    return lock ? `${lock.data?.['runId']} since ${lock.data?.['since']}` : undefined;
  }
}

const ours = (annotations: Record<string, string> | undefined) =>
  Object.fromEntries(Object.entries(annotations ?? {}).filter(([k]) => k.startsWith(OURS)));

function workloadShape(w: V1Deployment | V1StatefulSet): unknown {
  const spec = JSON.parse(JSON.stringify(w.spec ?? {})) as V1Deployment['spec'];
  const meta = spec?.template.metadata;
  // The runbook's rollout restart stamps this; a template that had no annotations gets {}.
  delete meta?.annotations?.[RESTARTED_AT];
  if (meta?.annotations && Object.keys(meta.annotations).length === 0) delete meta.annotations;
  return { annotations: ours(w.metadata?.annotations), spec };
}

function unrolled(kind: string, w: V1Deployment | V1StatefulSet): string[] {
  const want = w.spec?.replicas ?? 1;
  const s = w.status;
  const counts = [s?.replicas, s?.updatedReplicas, s?.readyReplicas, s?.availableReplicas].map((n) => n ?? 0);
  const current = (s?.observedGeneration ?? 0) >= (w.metadata?.generation ?? 0);
  if (current && counts.every((n) => n === want)) return [];
  return [
    `${kind} ${w.metadata?.name} not rolled out: want ${want}, replicas/updated/ready/available ${counts.join('/')}${current ? '' : ', generation not observed yet'}`,
  ];
}

const isReady = (p: V1Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

function podUnready(p: V1Pod): string[] {
  if (p.metadata?.deletionTimestamp) return [`pod ${p.metadata.name} terminating`];
  return isReady(p) ? [] : [`pod ${p.metadata?.name} not ready (${p.status?.phase})`];
}

/**
 * The namespace's policies in the node's iptables (kube-router names each in its rules'
 * comments: "... policy name NAME namespace NS"). Readable where the node is this machine and
 * we are root; undefined elsewhere (a kind node's rules live in its container).
 */
function enforcedPolicies(namespace: string): string[] | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const r = spawnSync('iptables-save', ['-t', 'filter'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error || r.status !== 0) return undefined;
  const names = new Set<string>();
  for (const m of r.stdout.matchAll(/policy name:? (\S+) namespace (\S+?)"/g))
    if (m[2] === namespace) names.add(m[1]!);
  return names.size ? [...names].sort() : undefined;
}

/** Leaf paths where two JSON values differ ("" for the root), the first few. */
function differences(a: unknown, b: unknown, path = '', out: string[] = []): string[] {
  if (out.length >= 5 || stableJson(a) === stableJson(b)) return out;
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object';
  if (isObj(a) && isObj(b) && Array.isArray(a) === Array.isArray(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)]))
      differences(a[k], b[k], `${path}/${k}`, out);
    return out;
  }
  out.push(`${path || '/'}: ${stableJson(a)} -> ${stableJson(b)}`.slice(0, 300));
  return out;
}

function mapChanges(kind: string, before: ReadonlyMap<string, unknown>, now: ReadonlyMap<string, unknown>) {
  const out: string[] = [];
  for (const [k, v] of now) {
    if (!before.has(k)) out.push(`${kind} ${k} added`);
    else for (const d of differences(before.get(k), v)) out.push(`${kind} ${k} changed ${d}`);
  }
  for (const k of before.keys()) if (!now.has(k)) out.push(`${kind} ${k} gone`);
  return out;
}

/**
 * What differs from the baseline, one line each; [] when the cluster is as it was. Readiness is
 * absolute (everything ready), and the mock LLM is compared pod by pod where both saw the pod.
 */
export function clusterChanges(before: ClusterState, now: ClusterState): string[] {
  const had = new Set(before.objects);
  const has = new Set(now.objects);
  const llm = new Map([...now.llmControls].filter(([pod]) => before.llmControls.has(pod)));
  const llmBefore = new Map([...before.llmControls].filter(([pod]) => llm.has(pod)));
  const enforcedChanges =
    before.enforced && now.enforced
      ? [
          ...now.enforced
            .filter((p) => !before.enforced!.includes(p))
            .map((p) => `iptables enforce ${p} (not before)`),
          ...before.enforced
            .filter((p) => !now.enforced!.includes(p))
            .map((p) => `iptables no longer enforce ${p}`),
        ]
      : [];
  return [
    ...mapChanges('workload', before.workloads, now.workloads),
    ...mapChanges('networkpolicy', before.policies, now.policies),
    ...now.objects.filter((o) => !had.has(o)).map((o) => `object ${o} created`),
    ...before.objects.filter((o) => !has.has(o)).map((o) => `object ${o} gone`),
    ...now.unready,
    ...now.stressors.map((s) => `stressor ${s} running`),
    ...mapChanges('mock LLM pod', llmBefore, llm),
    ...(now.llmControls.size === 0 && before.llmControls.size > 0 ? ['mock LLM: no ready pod'] : []),
    ...enforcedChanges,
  ];
}

/** What makes a baseline untrustworthy: marks of a drill still on the cluster, or a mock LLM with a fault on. */
export function dirtyBaseline(state: ClusterState): string[] {
  const marked = (kind: string, m: ReadonlyMap<string, unknown>) =>
    [...m]
      .filter(([, v]) => stableJson(v).includes(`"${OURS}`))
      .map(([k]) => `${kind} ${k} carries a ${OURS} mark`);
  const healthy = stableJson({ rateLimit: null, latencyMs: 0, errorRate: 0 });
  return [
    ...marked('workload', state.workloads),
    ...marked('networkpolicy', state.policies),
    ...state.objects.filter((o) => o === 'configmap/firedrill-drill-lock').map((o) => `${o} held`),
    ...[...state.llmControls]
      .filter(([, v]) => stableJson(v) !== healthy)
      .map(([pod, v]) => `mock LLM ${pod} controls ${stableJson(v)}`),
    ...state.stressors,
  ];
}

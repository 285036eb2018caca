/**
 * The drill's system on a Kubernetes cluster, behind the platform verbs. Reads come from the
 * watch caches (no API call per status); writes are patches through the guarded API client,
 * folded back into the caches so a read after a write sees it. Network faults live in
 * network-faults.ts, restore in restore.ts; this file is the verbs.
 */
import type { V1Deployment, V1NetworkPolicy, V1Pod } from '@kubernetes/client-node';
import type { Clock } from '../../core/clock.ts';
import type { Ledger, UndoAction } from '../../core/ledger.ts';
import type { Logger } from '../../core/log.ts';
import type { MetricsServer } from '../../detection/metrics-server.ts';
import type {
  LogOptions,
  NetworkDeny,
  PlatformAction,
  ResourceSpec,
  RunningStack,
  StressSpec,
  WorkloadStatus,
} from '../types.ts';
import type { JsonPatchOp, KubeApi } from './api.ts';
import type { EnvResolver } from './env.ts';
import { Halts } from './halt.ts';
import type { HostAccess } from './host-access.ts';
import { type KubectlTarget, kubectlRecipe } from './kubectl.ts';
import type { NetworkFaults } from './network-faults.ts';
import { performKubeAction } from './perform.ts';
import {
  containerResources,
  lastTermination,
  podReady,
  selectorMatches,
  toPodStatus,
  workloadState,
} from './pod-state.ts';
import { restoreRecipe } from './restore.ts';
import { scrapeJobs } from './scrape.ts';
import { snapshotDeployment } from './snapshot.ts';
import { ALL_AT_ONCE, envOps, resourcesOps, restartPatch } from './spec-patches.ts';
import { startPodStressors } from './stressor.ts';
import type { WatchCache } from './watch-cache.ts';

export interface KubeStackParts {
  readonly api: KubeApi;
  readonly target: KubectlTarget;
  readonly pods: WatchCache<V1Pod>;
  readonly deployments: WatchCache<V1Deployment>;
  readonly policies: WatchCache<V1NetworkPolicy>;
  readonly access: HostAccess;
  readonly env: EnvResolver;
  readonly network: NetworkFaults;
  readonly ledger: Ledger;
  readonly clock: Clock;
  readonly log: Logger;
  /** kubeconfig for runbook steps: the namespaced step identity's token only, namespace pinned. */
  readonly stepKubeconfig: string;
  /** Where this stack's state lives (run dir); the step kubeconfig is removed from it on down(). */
  readonly stateDir: string;
  exporter?: MetricsServer;
  /** Restores the starting state; set once by up(). */
  down: () => Promise<void>;
}

export class KubeStack implements RunningStack {
  readonly platform = 'kube' as const;
  readonly namespace: string;
  readonly parts: KubeStackParts;
  readonly halts: Halts;
  /** Pod -> when the watch saw its latest termination (ms), finer than the API's seconds. */
  private readonly terminationSeen = new Map<string, number>();

  constructor(parts: KubeStackParts) {
    this.parts = parts;
    this.namespace = parts.api.namespace;
    this.halts = new Halts({
      api: parts.api,
      log: parts.log,
      clock: parts.clock,
      podsOf: (name) => this.podsOf(name),
      observe: (d) => parts.deployments.observe(d),
    });
    parts.deployments.onChange((type, d) => {
      if (type === 'MODIFIED') this.halts.onDeployment(d);
    });
    parts.pods.onChange((type, pod, previous, at) => {
      const name = pod.metadata?.name ?? '';
      if (type === 'DELETED') {
        this.terminationSeen.delete(name);
        return;
      }
      // A new termination seen by the watch (not the initial list: those are history).
      const key = terminationKey(pod);
      if (type === 'MODIFIED' && key && key !== terminationKey(previous)) this.terminationSeen.set(name, at);
    });
  }

  get stepKubeconfig(): string {
    return this.parts.stepKubeconfig;
  }

  workloads(): readonly string[] {
    return this.parts.deployments
      .list()
      .map((d) => d.metadata!.name!)
      .sort();
  }

  deployment(name: string): V1Deployment {
    const d = this.parts.deployments.get(name);
    if (!d) throw new Error(`no deployment ${name} in namespace ${this.namespace}`);
    return d;
  }

  /** The workload's pods, oldest first (kubectl's order for `logs deployment/x`). */
  podsOf(name: string): V1Pod[] {
    const selector = this.deployment(name).spec?.selector;
    return this.parts.pods
      .list()
      .filter((p) => selectorMatches(selector, p.metadata?.labels ?? {}))
      .sort((a, b) => time(a) - time(b));
  }

  async status(name: string): Promise<WorkloadStatus> {
    const d = this.deployment(name);
    const pods = this.podsOf(name).map((p) =>
      toPodStatus(p, this.terminationSeen.get(p.metadata?.name ?? '')),
    );
    const desired = d.spec?.replicas ?? 1;
    return {
      name,
      desiredReplicas: desired,
      readyReplicas: pods.filter((p) => p.ready).length,
      state: workloadState(desired, pods),
      restarts: pods.reduce((n, p) => n + p.restarts, 0),
      pods,
      env: await this.parts.env.resolve(d.spec?.template.spec?.containers[0]),
      resources: containerResources(d),
    };
  }

  private async patch(name: string, ops: JsonPatchOp[]): Promise<V1Deployment> {
    const d = await this.parts.api.patchDeployment(name, ops);
    this.parts.deployments.observe(d);
    return d;
  }

  private async merge(name: string, body: object): Promise<V1Deployment> {
    const d = await this.parts.api.mergePatchDeployment(name, body);
    this.parts.deployments.observe(d);
    return d;
  }

  /** The platform's own changes end a halt first, as the local platform's do, even a scale to the same count. */
  private unhalt(name: string): Promise<boolean> {
    return this.halts.end(name, this.deployment(name));
  }

  async scale(name: string, replicas: number): Promise<void> {
    await this.unhalt(name);
    await this.merge(name, { spec: { replicas } });
  }

  /** As `kubectl rollout restart`; ending a halt is a rollout already. */
  async rolloutRestart(name: string): Promise<void> {
    if (await this.unhalt(name)) return;
    await this.merge(name, restartPatch(this.parts.clock.now().wallMs));
  }

  /** As `kubectl set env` on every container. */
  async setEnv(name: string, changes: Record<string, string | null>): Promise<void> {
    await this.unhalt(name);
    await this.patch(name, envOps(await this.parts.api.readDeployment(name), changes));
  }

  /** As `kubectl set resources`: the named limits/requests change, the others stay. */
  async setResources(name: string, resources: ResourceSpec): Promise<void> {
    await this.unhalt(name);
    await this.patch(name, resourcesOps(await this.parts.api.readDeployment(name), resources));
  }

  async deletePod(name: string, pod?: string): Promise<void> {
    const target = pod ?? (this.podsOf(name).find(podReady) ?? this.podsOf(name)[0])?.metadata?.name;
    if (!target) throw new Error(`${name} has no pods`);
    if (pod && !this.podsOf(name).some((p) => p.metadata?.name === pod))
      throw new Error(`no pod ${pod} in ${name}`);
    await this.parts.api.deletePod(target);
  }

  async logs(name: string, options: LogOptions = {}): Promise<string> {
    const pods = this.podsOf(name);
    // With --previous, a pod that has a previous instance; otherwise the oldest ready pod.
    const pod = options.pod
      ? pods.find((p) => p.metadata?.name === options.pod)
      : options.previous
        ? (pods.find((p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) > 0) ?? pods[0])
        : (pods.find(podReady) ?? pods[0]);
    if (!pod) throw new Error(options.pod ? `no pod ${options.pod} in ${name}` : `${name} has no pods`);
    return this.parts.api.podLog(pod.metadata!.name!, pod.spec?.containers[0]?.name, options);
  }

  applyNetworkDeny(deny: NetworkDeny): Promise<readonly string[]> {
    return this.parts.network.deny(deny);
  }

  removeNetworkDeny(name: string): Promise<void> {
    return this.parts.network.remove(name);
  }

  async listNetworkDenies(): Promise<readonly string[]> {
    return this.parts.network.list();
  }

  breakDns(workload: string, names: readonly string[]): Promise<{ restore(): Promise<void> }> {
    return this.parts.network.breakDns(workload, names);
  }

  /** A bounded stressor in every running pod of the workload (an ephemeral container). */
  async startStressor(name: string, spec: StressSpec): Promise<{ stop(): Promise<void> }> {
    const pods = this.podsOf(name).filter(
      (p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp,
    );
    return startPodStressors({
      api: this.parts.api,
      target: this.parts.target,
      pods,
      spec,
      clock: this.parts.clock,
      current: (pod) => this.parts.pods.get(pod),
    });
  }

  readonly haltDiffers =
    "kube: a halted workload's containers run a command that prints one line and exits, so its pods crash-loop as a crashed server's would, but `kubectl logs` shows that line rather than the server's own last words; a `kubectl scale` to the count it already has changes nothing on Kubernetes and does not end the halt, where the local platform ends it";

  halt(name: string): Promise<void> {
    return this.halts.halt(this.deployment(name));
  }

  /**
   * RollingUpdate with maxUnavailable 100% and no surge: the next rollout replaces every pod at
   * once. Ledgered (a kubectl patch back to the current strategy) before the change; a
   * Recreate deployment already behaves so and is left alone.
   */
  async rolloutAllAtOnce(name: string): Promise<{ restore(): Promise<void> }> {
    const original = (await this.parts.api.readDeployment(name)).spec?.strategy;
    if (original?.type === 'Recreate') return { restore: async () => {} };
    const back: JsonPatchOp[] = [
      { op: 'add', path: '/spec/strategy', value: original ?? { type: 'RollingUpdate' } },
    ];
    const entry = this.parts.ledger.record(
      `${name}: rollout strategy back to ${JSON.stringify(original ?? {})}`,
      kubectlRecipe(this.parts.target, [
        'patch',
        'deployment',
        name,
        '--type=json',
        '-p',
        JSON.stringify(back),
      ]),
    );
    await this.patch(name, [{ op: 'add', path: '/spec/strategy', value: ALL_AT_ONCE }]);
    let restored = false;
    return {
      restore: async () => {
        if (restored) return;
        restored = true;
        await this.patch(name, back);
        this.parts.ledger.settle(entry.id);
      },
    };
  }

  endpoint(service: string): Promise<string> {
    return this.parts.access.serviceUrl(service);
  }

  /** One job per deployment whose pods carry prometheus.io/scrape, plus `platform` (restarts). */
  async scrapeTargets(): Promise<readonly { job: string; urls: readonly string[] }[]> {
    const jobs = await scrapeJobs({
      namespace: this.namespace,
      deployments: this.workloads().map((w) => this.deployment(w)),
      podsOf: (w) => this.podsOf(w),
      access: this.parts.access,
    });
    if (this.parts.exporter) jobs.push({ job: 'platform', urls: [this.parts.exporter.url] });
    return jobs;
  }

  async metricsEndpoint(): Promise<string> {
    if (!this.parts.exporter) throw new Error('the platform exporter is not running');
    return this.parts.exporter.url;
  }

  perform(action: PlatformAction): Promise<string> {
    return performKubeAction(this, action);
  }

  /**
   * Crash-safe undo for a change about to be made: a kubectl patch that puts the workload's
   * replicas, env and resources back as they are now, or deletes a fault policy.
   */
  undoRecipe(action: PlatformAction, _before: WorkloadStatus | undefined): UndoAction | undefined {
    switch (action.verb) {
      case 'scale':
      case 'rollout-restart':
      case 'rollout-undo':
      case 'set-env':
      case 'set-resources':
        return restoreRecipe(this.parts.target, snapshotDeployment(this.deployment(action.workload)));
      case 'delete-network-policy':
        return kubectlRecipe(this.parts.target, [
          'delete',
          'networkpolicy',
          action.name,
          '--ignore-not-found',
        ]);
      default:
        return undefined; // reads, and pod deletes (the controller replaces the pod)
    }
  }

  down(): Promise<void> {
    return this.parts.down();
  }
}

const time = (p: V1Pod) => new Date(p.metadata?.creationTimestamp ?? 0).getTime();

/** Identity of the pod's latest termination; changes once per termination. */
const terminationKey = (pod: V1Pod | undefined): string | undefined => {
  const t = pod && lastTermination(pod);
  return t ? `${t.reason}@${t.atWallMs ?? ''}` : undefined;
};

/**
 * The running local stack: workloads, their Services and links, DNS files, cgroups and the
 * metrics exporter, behind the RunningStack verbs.
 */
import { readFileSync } from 'node:fs';
import type { Clock } from '../../core/clock.ts';
import type { Ledger, LedgerEntry } from '../../core/ledger.ts';
import { undo } from '../../core/ledger.ts';
import type { Logger } from '../../core/log.ts';
import type {
  LogOptions,
  NetworkDeny,
  PlatformAction,
  ResourceSpec,
  RunningStack,
  StressSpec,
  WorkloadStatus,
} from '../types.ts';
import type { Binaries } from './binaries.ts';
import type { RunCgroups } from './cgroups.ts';
import type { WorkloadDns } from './dns.ts';
import type { MetricsExporter } from './exporter.ts';
import { readLogs } from './logs.ts';
import type { StackNetwork } from './network.ts';
import { performAction } from './perform.ts';
import type { StackSpec } from './stack-file.ts';
import { startStressor } from './stressor.ts';
import type { Workload } from './workload.ts';

export const METRICS_SERVICE = 'firedrill-platform-metrics';

export interface StackParts {
  readonly spec: StackSpec;
  readonly ledger: Ledger;
  readonly clock: Clock;
  readonly log: Logger;
  readonly bins: Binaries;
  readonly workloads: Map<string, Workload>;
  readonly network: StackNetwork;
  /** Why a network deny refuses instead of dropping packets here; undefined when it drops. */
  readonly packetDropProblem: string | undefined;
  readonly dns: Map<string, WorkloadDns>;
  readonly cgroups: RunCgroups;
  readonly logDir: string;
  /** Declared env of a workload with placeholders resolved (as `kubectl set env --list` shows). */
  readonly declaredEnv: (w: Workload) => Record<string, string>;
  /** Harness-side URL of a workload's Service. */
  readonly serviceUrl: (workload: string) => string;
  exporter?: MetricsExporter;
  /** Ledger entries for the state dirs, removed last. */
  readonly dirEntries: LedgerEntry[];
}

/**
 * Without packet drops (not root), a deny refuses (the link proxy resets), where a
 * NetworkPolicy drops packets: a client without its own timeout fails at once here and hangs
 * there. Said in every record it shapes, with why packets are not dropped.
 */
export const denyRejects = (why: string): string =>
  `local: a network deny resets connections at once (like a REJECT rule) because ${why}, where a Kubernetes NetworkPolicy drops packets; a runbook step with no timeout of its own (e.g. redis-cli -h ...) fails here in milliseconds but hangs on a cluster until the step bound (30 s; measured on kind: 30.0 s), and that counts in MTTR`;

export class LocalStack implements RunningStack {
  readonly platform = 'local' as const;
  readonly namespace: string;
  readonly parts: StackParts;
  private downing?: Promise<void>;

  constructor(parts: StackParts) {
    this.parts = parts;
    this.namespace = parts.spec.namespace;
  }

  workloads(): readonly string[] {
    return [...this.parts.workloads.keys()];
  }

  workload(name: string): Workload {
    const w = this.parts.workloads.get(name);
    if (!w)
      throw new Error(`no workload "${name}" in ${this.namespace} (known: ${this.workloads().join(', ')})`);
    return w;
  }

  async status(workload: string): Promise<WorkloadStatus> {
    const w = this.workload(workload);
    return w.status(this.parts.declaredEnv(w));
  }

  async statusAll(): Promise<WorkloadStatus[]> {
    return Promise.all(this.workloads().map((w) => this.status(w)));
  }

  scale(workload: string, replicas: number, signal?: AbortSignal): Promise<void> {
    return this.workload(workload).scale(replicas, signal);
  }

  rolloutRestart(workload: string): Promise<void> {
    return this.workload(workload).rolloutRestart();
  }

  /** Wait for the workload's rollouts to finish, like `kubectl rollout status`. */
  async rolloutStatus(workload: string): Promise<string> {
    const w = this.workload(workload);
    await w.rolloutComplete();
    const s = await this.status(workload);
    return s.readyReplicas >= s.desiredReplicas
      ? `deployment "${workload}" successfully rolled out\n`
      : `deployment "${workload}" rollout finished with ${s.readyReplicas} of ${s.desiredReplicas} pods ready (${s.state})\n`;
  }

  setEnv(workload: string, env: Record<string, string | null>): Promise<void> {
    return this.workload(workload).setEnv(env);
  }

  setResources(workload: string, resources: ResourceSpec): Promise<void> {
    return this.workload(workload).setResources(resources);
  }

  async deletePod(workload: string, pod?: string): Promise<void> {
    await this.workload(workload).deletePod(pod);
  }

  halt(workload: string): Promise<void> {
    return this.workload(workload).halt();
  }

  async logs(workload: string, options: LogOptions = {}): Promise<string> {
    return readLogs(this.workload(workload), options, this.parts.clock);
  }

  async applyNetworkDeny(deny: NetworkDeny): Promise<readonly string[]> {
    this.workload(deny.from);
    for (const to of deny.to) this.workload(to);
    await this.parts.network.apply(deny);
    const why = this.parts.packetDropProblem;
    return why === undefined ? [] : [denyRejects(why)];
  }

  async removeNetworkDeny(name: string): Promise<void> {
    await this.parts.network.remove(name);
  }

  async listNetworkDenies(): Promise<readonly string[]> {
    return this.parts.network.list();
  }

  async breakDns(workload: string, names: readonly string[]): Promise<{ restore(): Promise<void> }> {
    const dns = this.parts.dns.get(this.workload(workload).name);
    if (!dns) {
      throw new Error(
        `DNS faults unavailable for ${workload}: its instances do not run with a private /etc/hosts here`,
      );
    }
    dns.break(names);
    return { restore: async () => dns.restore() };
  }

  async startStressor(workload: string, spec: StressSpec): Promise<{ stop(): Promise<void> }> {
    const stressNg = this.parts.bins.stressNg;
    if (!stressNg) throw new Error('stress-ng not found: apt-get install stress-ng');
    const pods = this.workload(workload).pods.filter((p) => p.pid !== undefined);
    if (pods.length === 0) throw new Error(`${workload} has no running pods to stress`);
    return startStressor(pods, spec, {
      stressNg,
      tools: this.parts.bins,
      ledger: this.parts.ledger,
      clock: this.parts.clock,
      logDir: this.parts.logDir,
    });
  }

  async endpoint(service: string): Promise<string> {
    if (service === METRICS_SERVICE) return this.metricsEndpoint();
    this.workload(service);
    return this.parts.serviceUrl(service);
  }

  /** One job per workload that declares `metrics` (every pod, ready or not, as pod discovery
   * would list them) plus job `platform`: this stack's kube-state-metrics series. */
  async scrapeTargets(): Promise<readonly { job: string; urls: readonly string[] }[]> {
    const jobs: { job: string; urls: string[] }[] = [];
    for (const w of this.parts.workloads.values()) {
      if (w.spec.kind !== 'process' || !w.spec.metrics) continue;
      const path = w.spec.metrics.path;
      jobs.push({ job: w.spec.metrics.job, urls: w.pods.map((p) => `http://127.0.0.1:${p.port}${path}`) });
    }
    if (this.parts.exporter) jobs.push({ job: 'platform', urls: [await this.metricsEndpoint()] });
    return jobs;
  }

  async metricsEndpoint(): Promise<string> {
    if (!this.parts.exporter) throw new Error('the metrics exporter is not running');
    return `${this.parts.exporter.url}/metrics`;
  }

  perform(action: PlatformAction, signal?: AbortSignal): Promise<string> {
    return performAction(this, action, signal);
  }

  /**
   * Every workload back to the stack file's spec and no fault plumbing left (network denies,
   * broken name resolution), for the next drill on this stack. Returns what was reset.
   */
  async resetToSpec(): Promise<string[]> {
    const reset: string[] = [];
    for (const declared of this.parts.spec.workloads) {
      const differs = await this.workload(declared.name).resetTo(declared);
      if (differs.length) reset.push(`${declared.name} (${differs.join(', ')})`);
    }
    for (const name of this.parts.network.list()) {
      await this.parts.network.remove(name);
      reset.push(`network deny ${name}`);
    }
    for (const [name, dns] of this.parts.dns)
      if (dns.brokenNames.length) {
        dns.restore();
        reset.push(`name resolution of ${name}`);
      }
    return reset;
  }

  /** What keeps the stack from its spec now (not yet ready, a fault's plumbing still there); [] when at it. */
  async offSpec(): Promise<string[]> {
    const off: string[] = [];
    for (const declared of this.parts.spec.workloads) {
      const s = await this.status(declared.name);
      const w = this.workload(declared.name);
      if (w.halted || s.desiredReplicas !== declared.replicas || s.readyReplicas !== declared.replicas)
        off.push(`${declared.name}: ${s.readyReplicas}/${declared.replicas} ready (${s.state})`);
    }
    off.push(...this.parts.network.list().map((n) => `network deny ${n} in place`));
    for (const [name, dns] of this.parts.dns)
      if (dns.brokenNames.length) off.push(`${name}: names ${dns.brokenNames.join(', ')} do not resolve`);
    return off;
  }

  /** Stop everything and remove what the stack made. Safe to call twice. */
  down(): Promise<void> {
    this.downing ??= this.teardown();
    return this.downing;
  }

  private async teardown(): Promise<void> {
    const p = this.parts;
    await p.exporter?.close();
    await p.network.close();
    // Dependents first, so clients stop before their servers and log no spurious errors.
    const order = [...p.workloads.values()].reverse();
    for (const w of order) await w.stopAll(Math.min(2000, w.spec.terminationGracePeriodMs));
    await p.cgroups.remove();
    for (const entry of [...p.dirEntries].reverse()) {
      await undo(entry.undo);
      p.ledger.settle(entry.id);
    }
    p.log.debug('local stack down');
  }
}

export const readText = (file: string): string => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

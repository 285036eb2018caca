/**
 * One pod: a container process restarted by policy Always with the kubelet's exponential
 * back-off (scaled for drills), a readiness probe, per-run log files so the previous
 * instance's output stays readable, and its own cgroups.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../../core/clock.ts';
import { elapsedMs } from '../../core/clock.ts';
import type { Ledger } from '../../core/ledger.ts';
import type { Logger } from '../../core/log.ts';
import type { PodStatus, ResourceSpec, WorkloadState } from '../types.ts';
import type { PodCgroup, RunCgroups } from './cgroups.ts';
import { type Exit, type Launched, launch, type PrivateFiles, signalGroup, type Tools } from './launcher.ts';
import { probeOnce, type Readiness } from './probes.ts';

export interface BackoffPolicy {
  /** Delay before the second restart; the first is immediate, as the kubelet does. */
  readonly baseMs: number;
  readonly capMs: number;
  /** A container that ran this long without exiting starts the back-off from scratch. */
  readonly resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, capMs: 30_000, resetAfterMs: 60_000 };

/** Back-off before restart number `failures` (1-based count of consecutive exits). */
export const backoffDelayMs = (policy: BackoffPolicy, failures: number): number =>
  failures <= 1 ? 0 : Math.min(policy.capMs, policy.baseMs * 2 ** (failures - 2));

/** Everything needed to start the container, already resolved for this pod. */
export interface ContainerTemplate {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly user?: string;
  readonly stopSignal: NodeJS.Signals;
  readonly graceMs: number;
  readonly readiness: Readiness;
  readonly resources: ResourceSpec;
  readonly privateFiles?: PrivateFiles;
}

export interface PodContext {
  readonly ledger: Ledger;
  readonly clock: Clock;
  readonly log: Logger;
  readonly tools: Tools;
  readonly cgroups: RunCgroups;
  readonly logDir: string;
  readonly backoff: BackoffPolicy;
}

type Phase = 'Pending' | 'Running' | 'BackOff' | 'Halted' | 'Terminating' | 'Terminated';

const FAST_PROBE_MS = 100;
const FAILURE_THRESHOLD = 3;

export class Pod {
  readonly name: string;
  readonly port: number;
  readonly template: ContainerTemplate;
  restarts = 0;
  ready = false;
  /** Why the latest readiness probe failed (undefined once one passed). */
  lastProbeFailure?: string;
  lastTermination?: { reason: string; exitCode: number; atWallMs: number };
  /** Number of container runs so far; run N logs to <logDir>/<pod>/<N>.log. */
  runs = 0;
  /** Set while the node has no room for the pod's requests (the scheduler's message). */
  unschedulable?: string;
  /** When the scheduler bound the pod to the node (monotonic ms); undefined while Pending. */
  boundAtMs?: number;
  private phase: Phase = 'Pending';
  private backoffDelay = 0;
  private current?: Launched;
  private cgroup?: PodCgroup;
  private readonly ctx: PodContext;
  private readonly stopping = new AbortController();
  private readonly halting = new AbortController();
  private loopDone: Promise<void> = Promise.resolve();
  private failures = 0;

  constructor(name: string, port: number, template: ContainerTemplate, ctx: PodContext) {
    this.name = name;
    this.port = port;
    this.template = template;
    this.ctx = ctx;
  }

  /** cgroup.procs files of this pod, for processes that must share its limits (stressors). */
  cgroupProcs(): string[] {
    return this.cgroup?.procsFiles() ?? [];
  }

  get pid(): number | undefined {
    return this.current?.pid;
  }

  get bound(): boolean {
    return this.boundAtMs !== undefined;
  }

  /**
   * Bound to the node: create the cgroup, apply limits and start the container loop (does not
   * wait for ready). Returns the limits the machine could not enforce.
   */
  start(): string[] {
    if (this.stopping.signal.aborted || this.bound) return [];
    this.boundAtMs = this.ctx.clock.now().monoMs;
    this.unschedulable = undefined;
    mkdirSync(join(this.ctx.logDir, this.name), { recursive: true });
    this.cgroup = this.ctx.cgroups.pod(this.name);
    const skipped = this.cgroup.setLimits(this.template.resources);
    this.loopDone = this.loop();
    return skipped;
  }

  logFile(run: number): string {
    return join(this.ctx.logDir, this.name, `${run}.log`);
  }

  status(): PodStatus {
    return {
      name: this.name,
      ready: this.ready,
      state: this.state(),
      restarts: this.restarts,
      ...(this.lastTermination ? { lastTermination: { ...this.lastTermination } } : {}),
      ...(this.unschedulable && !this.bound ? { message: this.unschedulable } : {}),
    };
  }

  private state(): WorkloadState {
    switch (this.phase) {
      case 'Pending':
        return 'Pending';
      case 'Running':
        return 'Running';
      case 'BackOff':
        return this.backoffDelay > 0 ? 'CrashLoopBackOff' : this.terminatedState();
      case 'Halted':
      case 'Terminated':
        return this.terminatedState();
      case 'Terminating':
        return 'Terminating';
    }
  }

  private terminatedState(): WorkloadState {
    return this.lastTermination?.reason === 'OOMKilled' ? 'OOMKilled' : 'Error';
  }

  private async loop(): Promise<void> {
    const signal = AbortSignal.any([this.stopping.signal, this.halting.signal]);
    while (!signal.aborted) {
      const oomBefore = this.cgroup?.oomKills() ?? 0;
      const started = this.ctx.clock.now();
      this.runs += 1;
      const launched = launch(
        {
          what: `process ${this.name} run ${this.runs}`,
          argv: this.template.argv,
          env: this.template.env,
          cwd: this.template.cwd,
          logFile: this.logFile(this.runs),
          cgroupProcs: this.cgroup?.procsFiles() ?? [],
          privateFiles: this.template.privateFiles,
          user: this.template.user,
        },
        this.ctx.tools,
        this.ctx.ledger,
        this.ctx.clock,
      );
      this.current = launched;
      this.phase = 'Running';
      const probing = new AbortController();
      void this.probe(probing.signal);
      const exit = await launched.exited;
      probing.abort();
      this.ready = false;
      this.ctx.ledger.settle(launched.entry.id);
      await launched.logsFlushed;
      this.recordTermination(exit, (this.cgroup?.oomKills() ?? 0) > oomBefore);
      if (signal.aborted) break;
      const ranMs = elapsedMs(started, this.ctx.clock.now());
      this.failures = ranMs >= this.ctx.backoff.resetAfterMs ? 1 : this.failures + 1;
      this.backoffDelay = backoffDelayMs(this.ctx.backoff, this.failures);
      this.phase = 'BackOff';
      this.ctx.log.debug(`${this.name} exited ${exit.exitCode}; restart in ${this.backoffDelay} ms`);
      await this.ctx.clock.sleep(this.backoffDelay, signal);
      if (signal.aborted) break;
      this.restarts += 1;
    }
    this.phase = this.halting.signal.aborted && !this.stopping.signal.aborted ? 'Halted' : 'Terminated';
  }

  private recordTermination(exit: Exit, oomKilled: boolean): void {
    const reason =
      oomKilled && exit.exitCode === 137 ? 'OOMKilled' : exit.exitCode === 0 ? 'Completed' : 'Error';
    this.lastTermination = { reason, exitCode: exit.exitCode, atWallMs: this.ctx.clock.now().wallMs };
  }

  private async probe(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      const result = await probeOnce(this.port, this.template.readiness);
      if (signal.aborted) return;
      this.lastProbeFailure = result === true ? undefined : result;
      if (result === true) {
        failures = 0;
        if (!this.ready) this.ctx.log.debug(`${this.name} ready`);
        this.ready = true;
      } else if (this.ready && ++failures >= FAILURE_THRESHOLD) {
        this.ready = false;
      }
      await this.ctx.clock.sleep(this.ready ? this.template.readiness.periodMs : FAST_PROBE_MS, signal);
    }
  }

  /** SIGKILL the container and keep it down: no restart until the pod is replaced. */
  async halt(): Promise<void> {
    this.halting.abort();
    this.ready = false;
    if (this.current) signalGroup(this.current.pid, 'SIGKILL');
    await this.loopDone;
  }

  /**
   * Stop for good: stop signal, then SIGKILL after the grace period (0 = SIGKILL at once);
   * then remove the pod's cgroups. Settles every ledger entry the pod made.
   */
  async stop(graceMs = this.template.graceMs): Promise<void> {
    const wasHalted = this.halting.signal.aborted;
    this.stopping.abort();
    this.phase = 'Terminating';
    this.ready = false;
    const current = this.current;
    if (current && !wasHalted) {
      signalGroup(current.pid, graceMs > 0 ? this.template.stopSignal : 'SIGKILL');
      const timer = setTimeout(() => signalGroup(current.pid, 'SIGKILL'), graceMs);
      await current.exited;
      clearTimeout(timer);
    }
    await this.loopDone;
    this.phase = 'Terminated';
    await this.cgroup?.remove();
  }
}

/**
 * A workload controller: keeps `replicas` pods, replaces deleted ones, and rolls out a new
 * pod template (env, resources, or a plain restart) like a Deployment does.
 *
 * Rollout choice: RollingUpdate starts a new pod, waits until it is ready or has visibly
 * failed (exited, crash-looping, or the settle timeout passed), then stops an old one. So a
 * bad env change replaces every pod with crash-looping ones instead of holding old pods back
 * as maxUnavailable would on Kubernetes: the outage a bad config rollout causes in the
 * runbook's scenario, without partial-availability subtleties.
 *
 * A new pod the node has no room for (scheduler.ts) is different: it stays Pending, and like a
 * Deployment (maxSurge 25 % up, maxUnavailable 25 % down) the rollout removes an old pod only
 * while enough others stay available. Otherwise it is stuck: the old pods keep serving (or keep
 * crash-looping) until capacity frees, when it resumes, or a newer change supersedes it.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../../core/clock.ts';
import { freePort } from '../../core/ports.ts';
import type { ResourceSpec, WorkloadState, WorkloadStatus } from '../types.ts';
import { type ContainerTemplate, Pod, type PodContext } from './pod.ts';
import { type NodeScheduler, podRequests, rolloutBudget, type Schedulable } from './scheduler.ts';
import type { WorkloadSpec } from './stack-file.ts';

export interface WorkloadContext extends PodContext {
  /** Resolve the workload's current spec into what one pod runs. */
  template(spec: WorkloadSpec, pod: { name: string; port: number }): ContainerTemplate;
  /** The node every workload's pods are scheduled on. */
  readonly node: NodeScheduler;
}

/** What the workload keeps about each pod besides the pod itself. */
interface PodRecord {
  readonly revision: string;
  readonly seat: Schedulable;
}

const SETTLE_TIMEOUT_MS = 30_000;

/** What a revision of the pod template is made of (env, resources, restart annotation). */
interface Template {
  readonly env?: Record<string, string>;
  readonly resources: WorkloadSpec['resources'];
  readonly restartNonce: number;
}
const WORST_FIRST: WorkloadState[] = [
  'CrashLoopBackOff',
  'OOMKilled',
  'Error',
  'Pending',
  'Terminating',
  'Running',
];

export class Workload {
  readonly name: string;
  spec: WorkloadSpec;
  pods: Pod[] = [];
  /** Killed and kept down (halt) until the next scale, rollout restart or template change. */
  halted = false;
  private restartNonce = 0;
  /** The pod template before the last change, for `rollout undo` (one revision of history). */
  private previous: Template | undefined;
  private readonly ctx: WorkloadContext;
  private queue: Promise<unknown> = Promise.resolve();
  /** Changes waiting for the one in progress: a rollout stuck on a Pending pod yields to them. */
  private queued = 0;
  /** A rollout stopped because its new pod is Pending; binding a pod of this revision resumes it. */
  private stuckRevision?: string;
  private readonly records = new Map<Pod, PodRecord>();
  private lastRollout: Promise<void> = Promise.resolve();
  /** Set by stopAll: the stack is going down and no pod may start any more. */
  private closed = false;
  readonly warnings: string[] = [];

  constructor(spec: WorkloadSpec, ctx: WorkloadContext) {
    this.name = spec.name;
    this.spec = structuredClone(spec);
    this.ctx = ctx;
  }

  get clock(): Clock {
    return this.ctx.clock;
  }

  /** Ports of ready pods: the Service's endpoints. */
  readyPorts(): number[] {
    return this.pods.filter((p) => p.ready).map((p) => p.port);
  }

  /** pod-template-hash: changes with env, resources and each rollout restart. */
  private revision(): string {
    const env = this.spec.kind === 'process' ? this.spec.env : {};
    const text = JSON.stringify([env, this.spec.resources, this.restartNonce]);
    return createHash('sha256').update(text).digest('hex').slice(0, 8);
  }

  private async createPod(): Promise<Pod> {
    if (this.closed) throw new Error(`${this.name}: the stack is going down`);
    const name = `${this.name}-${this.revision()}-${randomBytes(3).toString('hex').slice(0, 5)}`;
    const port = await freePort();
    if (this.closed) throw new Error(`${this.name}: the stack is going down`);
    const pod = new Pod(name, port, this.ctx.template(this.spec, { name, port }), this.ctx);
    this.pods.push(pod);
    const seat: Schedulable = {
      requests: podRequests(pod.template.resources),
      bind: () => this.bound(pod),
      unschedulable: (reason) => {
        if (pod.unschedulable !== reason) this.ctx.log.debug(`${pod.name} Pending: ${reason}`);
        pod.unschedulable = reason;
      },
    };
    this.records.set(pod, { revision: this.revision(), seat });
    this.ctx.node.schedule(seat);
    return pod;
  }

  /** The scheduler found room: start the container; a rollout stuck on this revision resumes. */
  private bound(pod: Pod): void {
    if (this.closed) return;
    for (const skipped of pod.start())
      this.warn(`${this.name}: ${skipped} not enforced (no usable cgroup controller)`);
    if (this.stuckRevision !== undefined && this.records.get(pod)?.revision === this.stuckRevision) {
      this.stuckRevision = undefined;
      void this.startRollout();
    }
  }

  private warn(line: string): void {
    if (!this.warnings.includes(line)) this.warnings.push(line);
  }

  /** Serialise changes to this workload, as one controller would. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    this.queued += 1;
    const next = () => {
      this.queued -= 1;
      return fn();
    };
    const run = this.queue.then(next, next);
    this.queue = run.catch(() => {});
    return run;
  }

  start(): Promise<void> {
    return this.exclusive(async () => {
      for (let i = 0; i < this.spec.replicas; i++) await this.createPod();
    });
  }

  /**
   * `signal` aborts a scale that a timed-out runbook step started: one still waiting behind
   * another change never starts; one under way goes back to the replicas it had.
   */
  scale(replicas: number, signal?: AbortSignal): Promise<void> {
    return this.exclusive(async () => {
      signal?.throwIfAborted();
      const before = this.spec.replicas;
      if (this.spec.kind !== 'process' && replicas > 1) {
        throw new Error(
          `${this.name} is a single-instance ${this.spec.kind} server; it cannot scale to ${replicas}`,
        );
      }
      if (this.halted) await this.replaceAll(0);
      this.spec = { ...this.spec, replicas } as WorkloadSpec;
      while (this.pods.length < replicas) {
        if (signal?.aborted) {
          this.spec = { ...this.spec, replicas: before } as WorkloadSpec;
          while (this.pods.length > before) await this.removePod(this.pods.at(-1)!, 0);
          signal.throwIfAborted();
        }
        await this.createPod();
      }
      while (this.pods.length > replicas) {
        // Like a ReplicaSet: pods not on the node go first, then not-ready pods, then the newest.
        const rank = (p: Pod) => (p.bound ? 1 : 0) + (p.ready ? 2 : 0);
        const victim = [...this.pods].reverse().sort((a, b) => rank(a) - rank(b))[0]!;
        await this.removePod(victim, victim.template.graceMs);
      }
    });
  }

  /**
   * The verbs below change the pod template at once (status shows it) and start the rollout,
   * returning without waiting for it, like `kubectl rollout restart` / `set env`: a fault's
   * "injected" moment is then when the change was accepted, not when every pod was replaced.
   * `rolloutComplete()` waits for the rollout, like `kubectl rollout status`.
   */
  rolloutRestart(): Promise<void> {
    this.remember();
    this.restartNonce += 1;
    return this.startRollout();
  }

  /**
   * Back to the template before the last change, like `kubectl rollout undo`; the current one
   * becomes the one to go back to, as the revisions swap on Kubernetes.
   */
  rolloutUndo(): Promise<void> {
    const back = this.previous;
    if (!back) return Promise.reject(new Error(`${this.name}: no previous revision to roll back to`));
    this.remember();
    if (this.spec.kind === 'process' && back.env) this.spec = { ...this.spec, env: { ...back.env } };
    this.spec = { ...this.spec, resources: structuredClone(back.resources) } as WorkloadSpec;
    this.restartNonce = back.restartNonce;
    return this.startRollout();
  }

  private remember(): void {
    this.previous = {
      ...(this.spec.kind === 'process' ? { env: { ...this.spec.env } } : {}),
      resources: structuredClone(this.spec.resources),
      restartNonce: this.restartNonce,
    };
  }

  setEnv(changes: Record<string, string | null>): Promise<void> {
    if (this.spec.kind !== 'process') {
      return Promise.reject(new Error(`${this.name}: env is fixed for ${this.spec.kind} servers`));
    }
    this.remember();
    const env = { ...this.spec.env };
    for (const [k, v] of Object.entries(changes)) {
      if (v === null) delete env[k];
      else env[k] = v;
    }
    this.spec = { ...this.spec, env };
    return this.startRollout();
  }

  setResources(resources: ResourceSpec): Promise<void> {
    this.remember();
    this.spec = { ...this.spec, resources: structuredClone(resources) } as WorkloadSpec;
    return this.startRollout();
  }

  /**
   * Back to `declared` (the stack file's spec) after a drill, so the next drill on the same stack
   * starts from it: pod template and replicas, running again if halted. Returns what differed.
   */
  async resetTo(declared: WorkloadSpec): Promise<string[]> {
    const envOf = (s: WorkloadSpec) =>
      JSON.stringify(Object.entries(s.kind === 'process' ? s.env : {}).sort());
    const differs = [
      ...(envOf(this.spec) === envOf(declared) ? [] : ['env']),
      ...(JSON.stringify(this.spec.resources) === JSON.stringify(declared.resources) ? [] : ['resources']),
    ];
    if (differs.length) {
      this.remember();
      this.spec = {
        ...this.spec,
        ...(declared.kind === 'process' ? { env: { ...declared.env } } : {}),
        resources: structuredClone(declared.resources),
      } as WorkloadSpec;
      await this.startRollout();
    }
    if (this.halted) differs.push('halted');
    if (this.spec.replicas !== declared.replicas) differs.push(`${this.spec.replicas} replicas`);
    if (this.halted || this.spec.replicas !== declared.replicas) await this.scale(declared.replicas);
    await this.rolloutComplete();
    return differs;
  }

  /** Resolves when every rollout started so far has finished (new pods ready or failing). */
  rolloutComplete(): Promise<void> {
    return this.lastRollout;
  }

  private startRollout(): Promise<void> {
    const run = this.exclusive(() => this.rollout());
    this.lastRollout = run.catch((err: unknown) => {
      // Only a stack going down interrupts a rollout; anything else is worth a line.
      if (!this.closed) this.ctx.log.warn(`${this.name}: rollout failed: ${String(err)}`);
    });
    return Promise.resolve();
  }

  /** SIGKILL one pod (the named one, else the first); a new pod replaces it unless halted. */
  deletePod(podName?: string): Promise<string> {
    return this.exclusive(async () => {
      const pod = podName ? this.pods.find((p) => p.name === podName) : this.pods[0];
      if (!pod) throw new Error(podName ? `no pod ${podName} in ${this.name}` : `${this.name} has no pods`);
      await this.removePod(pod, 0);
      if (!this.halted) await this.createPod();
      return pod.name;
    });
  }

  halt(): Promise<void> {
    return this.exclusive(async () => {
      this.halted = true;
      await Promise.all(this.pods.map((p) => p.halt()));
    });
  }

  private async rollout(): Promise<void> {
    this.stuckRevision = undefined;
    if (this.halted || this.spec.kind !== 'process' || this.spec.strategy === 'Recreate') {
      await this.replaceAll(this.spec.replicas);
      await Promise.all(this.pods.map((p) => this.settled(p)));
      return;
    }
    const revision = this.revision();
    const stale = () => this.pods.filter((p) => this.records.get(p)?.revision !== revision);
    // Old pods that never got onto the node serve nothing: a Deployment scales those down first.
    for (const pod of stale().filter((p) => !p.bound)) await this.removePod(pod, 0);
    const { maxUnavailable } = rolloutBudget(this.spec.replicas);
    for (const pod of stale()) {
      if (this.pods.length <= this.spec.replicas) await this.createPod();
      // None of this revision yet with more pods than replicas (left over by a rollout stuck
      // on a failing pod): the surplus old pod just goes.
      const fresh = this.pods.filter((p) => this.records.get(p)?.revision === revision).at(-1);
      if (fresh) await this.settled(fresh);
      if (fresh && !fresh.bound && !this.mayLose(pod, maxUnavailable)) {
        this.stuckRevision = revision;
        const line = `${this.name}: rollout stuck: new pods Pending (${fresh.unschedulable ?? 'not yet scheduled'})`;
        this.warn(line);
        this.ctx.log.warn(line);
        return;
      }
      await this.removePod(pod, pod.template.graceMs);
    }
    while (this.pods.length < this.spec.replicas) await this.createPod();
  }

  /** Whether `pod` may go while the new one is Pending: maxUnavailable still holds without it. */
  private mayLose(pod: Pod, maxUnavailable: number): boolean {
    const available = this.pods.filter((p) => p !== pod && p.ready).length;
    return available >= this.spec.replicas - maxUnavailable;
  }

  /** Stop every pod, then start `replicas` new ones (Recreate; also how a halt ends). */
  private async replaceAll(replicas: number): Promise<void> {
    await Promise.all([...this.pods].map((p) => this.removePod(p, p.template.graceMs)));
    this.halted = false;
    for (let i = 0; i < replicas; i++) await this.createPod();
  }

  /** Stop the pod, then give its reservation on the node to whatever waits for one. */
  private async removePod(pod: Pod, graceMs: number): Promise<void> {
    this.pods = this.pods.filter((p) => p !== pod);
    const seat = this.records.get(pod)?.seat;
    this.records.delete(pod);
    if (seat && !pod.bound) this.ctx.node.release(seat); // off the queue before it can be bound
    await pod.stop(graceMs);
    if (seat) this.ctx.node.release(seat);
  }

  /**
   * Ready, or visibly failed, or out of patience (counted from when it was bound): then the
   * rollout moves on. A pod still Pending gives up early when another change is waiting.
   */
  private async settled(pod: Pod): Promise<void> {
    const start = this.ctx.clock.now().monoMs;
    for (;;) {
      if (pod.ready || pod.lastTermination !== undefined) return;
      if (!pod.bound && this.queued > 0) return;
      const since = Math.max(start, pod.boundAtMs ?? start);
      if (this.ctx.clock.now().monoMs - since >= SETTLE_TIMEOUT_MS) return;
      await this.ctx.clock.sleep(50);
    }
  }

  /** Every pod stopped (grace period, then SIGKILL); cgroups removed. */
  stopAll(graceMs?: number): Promise<void> {
    this.halted = true;
    this.closed = true;
    return Promise.all(this.pods.splice(0).map((p) => p.stop(graceMs))).then(() => {});
  }

  status(env: Readonly<Record<string, string>>): WorkloadStatus {
    const pods = this.pods.map((p) => p.status());
    const readyReplicas = pods.filter((p) => p.ready).length;
    const state: WorkloadState =
      pods.length === 0
        ? this.spec.replicas === 0
          ? 'ScaledToZero'
          : 'Pending'
        : (WORST_FIRST.find((s) => pods.some((p) => p.state === s)) ?? 'Unknown');
    return {
      name: this.name,
      desiredReplicas: this.spec.replicas,
      readyReplicas,
      state,
      restarts: pods.reduce((n, p) => n + p.restarts, 0),
      pods,
      env,
      resources: structuredClone(this.spec.resources),
    };
  }
}

/**
 * The one node the local pods run on, scheduled like kube-scheduler would: a pod reserves its
 * resource *requests* (none declared = 0) when it is bound, a pod whose requests do not fit in
 * what is left of the node's allocatable CPU and memory stays Pending with the scheduler's
 * reason, and capacity freed by a stopped pod goes to the waiting pods, oldest first.
 *
 * Why: a runbook step that asks for more than the node has (e.g. requests of 2 CPUs and 5
 * replicas on a 2-core machine) must leave pods Pending here as it does on a cluster, or the
 * same runbook "resolves" an outage on local that it cannot resolve on Kubernetes.
 */
import { availableParallelism, totalmem } from 'node:os';
import { cpuCores, memoryBytes } from '../../core/quantity.ts';
import type { ResourceSpec } from '../types.ts';

/** CPU in cores, memory in bytes. */
export interface Capacity {
  readonly cpu: number;
  readonly memory: number;
}

/** The machine as a node: every core and all of its memory (no system reservation). */
export const machineAllocatable = (): Capacity => ({ cpu: availableParallelism(), memory: totalmem() });

/** What a pod of this template reserves on the node: its requests; an undeclared request is 0. */
export function podRequests(resources: ResourceSpec): Capacity {
  const r = resources.requests ?? {};
  return {
    cpu: r.cpu === undefined ? 0 : cpuCores(r.cpu),
    memory: r.memory === undefined ? 0 : memoryBytes(r.memory),
  };
}

/** A pod as the scheduler sees it; `bind` starts it, `unschedulable` tells it why it waits. */
export interface Schedulable {
  readonly requests: Capacity;
  bind(): void;
  unschedulable(reason: string): void;
}

// Float sums of millicores (0.1 + 0.2): compare with a tolerance below one millicore.
const EPSILON = 1e-6;

export class NodeScheduler {
  readonly allocatable: Capacity;
  private readonly bound = new Map<Schedulable, Capacity>();
  /** In arrival order: the oldest pod gets freed capacity first. */
  private waiting: Schedulable[] = [];

  constructor(allocatable: Capacity) {
    this.allocatable = allocatable;
  }

  /** What bound pods have reserved. */
  reserved(): Capacity {
    let cpu = 0;
    let memory = 0;
    for (const r of this.bound.values()) {
      cpu += r.cpu;
      memory += r.memory;
    }
    return { cpu, memory };
  }

  /** Bind the pod now if its requests fit, else keep it waiting with the scheduler's reason. */
  schedule(pod: Schedulable): void {
    if (this.bound.has(pod) || this.waiting.includes(pod)) return;
    this.waiting.push(pod);
    this.bindWaiting();
  }

  /** The pod is gone (stopped or never bound): its reservation, if any, goes to waiting pods. */
  release(pod: Schedulable): void {
    this.waiting = this.waiting.filter((p) => p !== pod);
    if (this.bound.delete(pod)) this.bindWaiting();
  }

  isBound(pod: Schedulable): boolean {
    return this.bound.has(pod);
  }

  private bindWaiting(): void {
    // Each waiting pod is tried in turn: a big one that does not fit does not hold back a small
    // one behind it (the scheduler's queue moves on to the next pod too).
    for (const pod of [...this.waiting]) {
      const missing = this.insufficient(pod.requests);
      if (missing.length) {
        pod.unschedulable(
          `0/1 nodes are available: ${missing.map((m) => `1 Insufficient ${m}`).join(', ')}.`,
        );
        continue;
      }
      this.waiting = this.waiting.filter((p) => p !== pod);
      this.bound.set(pod, pod.requests);
      pod.bind();
    }
  }

  private insufficient(requests: Capacity): string[] {
    const used = this.reserved();
    const missing: string[] = [];
    if (used.cpu + requests.cpu > this.allocatable.cpu + EPSILON) missing.push('cpu');
    if (used.memory + requests.memory > this.allocatable.memory) missing.push('memory');
    return missing;
  }
}

/**
 * What this one-node model cannot do that a cluster would, for the run record's limitations:
 * a Pending pod here may run on a cluster and the other way round.
 */
export function capacityNote(allocatable: Capacity, declared: boolean): string {
  const size = `${+allocatable.cpu.toFixed(3)} CPU, ${(allocatable.memory / 2 ** 30).toFixed(1)} GiB`;
  return declared
    ? `node capacity: one node of the declared ${size}; a cluster may have more nodes to schedule pods on`
    : `node capacity: one node of this machine's ${size} with nothing reserved; a cluster node that size fits less ` +
        '(system reservation, kube-system pods) and a cluster may have more nodes: declare node.allocatable in the stack file to match yours';
}

/**
 * A Deployment's RollingUpdate budget for the default 25 % / 25 %: maxSurge rounds up,
 * maxUnavailable rounds down (so 1-3 replicas may never lose an available pod to a rollout).
 */
export function rolloutBudget(replicas: number): { maxSurge: number; maxUnavailable: number } {
  return { maxSurge: Math.ceil(replicas * 0.25), maxUnavailable: Math.floor(replicas * 0.25) };
}

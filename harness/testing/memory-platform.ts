/**
 * An in-memory platform for testing the run loop's ordering, timeouts and metric math
 * without processes. Health is a pure function of the workloads' state, so a test can
 * reason about exactly when the system is broken. Not a stand-in for local or kube in drills.
 */

import type { Clock } from '../core/clock.ts';
import type { DetectionSource } from '../detection/types.ts';
import type {
  NetworkDeny,
  PlatformAction,
  ResourceSpec,
  RunningStack,
  WorkloadStatus,
} from '../platforms/types.ts';
import type { Verifier } from '../verify/checks.ts';

interface MemWorkload {
  desired: number;
  env: Record<string, string>;
  resources: ResourceSpec;
  halted: boolean;
}

export interface MemoryStack extends RunningStack {
  /** Healthy when every workload has its replicas, no env value says "broken", and no deny is active. */
  healthy(): boolean;
  readonly actions: PlatformAction[];
  downCalled: boolean;
}

export function createMemoryStack(
  workloads: Record<string, { replicas: number; env?: Record<string, string> }>,
): MemoryStack {
  const state = new Map<string, MemWorkload>(
    Object.entries(workloads).map(([n, w]) => [
      n,
      { desired: w.replicas, env: { ...w.env }, resources: {}, halted: false },
    ]),
  );
  const denies = new Map<string, NetworkDeny>();
  const actions: PlatformAction[] = [];
  const get = (name: string) => {
    const w = state.get(name);
    if (!w) throw new Error(`no workload ${name}`);
    return w;
  };
  const broken = (w: MemWorkload) => Object.values(w.env).includes('broken');
  const ready = (w: MemWorkload) => (w.halted || broken(w) ? 0 : w.desired);

  const stack: MemoryStack = {
    platform: 'memory',
    namespace: 'agent-agency',
    actions,
    downCalled: false,
    workloads: () => [...state.keys()],
    healthy: () =>
      [...state.values()].every((w) => ready(w) === w.desired && w.desired > 0) && denies.size === 0,
    async status(name): Promise<WorkloadStatus> {
      const w = get(name);
      const r = ready(w);
      return {
        name,
        desiredReplicas: w.desired,
        readyReplicas: r,
        state:
          w.desired === 0
            ? 'ScaledToZero'
            : broken(w)
              ? 'CrashLoopBackOff'
              : r < w.desired
                ? 'Error'
                : 'Running',
        restarts: broken(w) ? 3 : 0,
        pods: [],
        env: { ...w.env },
        resources: w.resources,
      };
    },
    async scale(name, replicas) {
      get(name).desired = replicas;
      get(name).halted = false;
    },
    async rolloutRestart(name) {
      get(name).halted = false;
    },
    async setEnv(name, env) {
      const w = get(name);
      for (const [k, v] of Object.entries(env)) {
        if (v === null) delete w.env[k];
        else w.env[k] = v;
      }
    },
    async setResources(name, resources) {
      get(name).resources = resources;
    },
    async deletePod() {},
    async logs(name) {
      return `logs of ${name}`;
    },
    async applyNetworkDeny(d) {
      denies.set(d.name, d);
      return [];
    },
    async removeNetworkDeny(name) {
      denies.delete(name);
    },
    async listNetworkDenies() {
      return [...denies.keys()];
    },
    async endpoint(service) {
      return `memory://${service}`;
    },
    async perform(action) {
      actions.push(action);
      switch (action.verb) {
        case 'scale':
          await stack.scale(action.workload, action.replicas);
          return 'scaled';
        case 'rollout-restart':
          await stack.rolloutRestart(action.workload);
          return 'restarted';
        case 'set-env':
          await stack.setEnv(action.workload, action.env);
          return 'env set';
        case 'set-resources':
          await stack.setResources(action.workload, action.resources);
          return 'resources set';
        case 'delete-network-policy':
          await stack.removeNetworkDeny(action.name);
          return 'deleted';
        case 'delete-network-policies':
          for (const name of [...denies.keys()]) await stack.removeNetworkDeny(name);
          return 'deleted';
        default:
          return JSON.stringify(action);
      }
    },
    async halt(name) {
      get(name).halted = true;
    },
    async down() {
      stack.downCalled = true;
    },
  };
  return stack;
}

/** A verifier that passes exactly when the memory stack is healthy. */
export function memoryVerifier(
  stack: MemoryStack,
  clock: Clock,
): Verifier & { rounds: number; prepared: number } {
  const v = {
    rounds: 0,
    prepared: 0,
    async prepare() {
      v.prepared++;
    },
    async round() {
      v.rounds++;
      const passed = stack.healthy();
      return { passed, failures: passed ? [] : ['health: unhealthy'], startedAt: clock.now() };
    },
  };
  return v;
}

/** A detection source that fires `alert` whenever the stack is unhealthy (no `for` window). */
export function memoryDetection(
  stack: MemoryStack,
  alert: string,
  opts: { blind?: boolean } = {},
): DetectionSource {
  return {
    name: 'memory',
    start: async () => {},
    stop: async () => {},
    poll: async () => (!opts.blind && !stack.healthy() ? [{ alert, state: 'firing' as const }] : []),
  };
}

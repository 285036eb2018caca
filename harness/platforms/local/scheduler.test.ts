/**
 * Node capacity on real processes: pods whose requests do not fit stay Pending with the
 * scheduler's reason and start when capacity frees; a rollout whose new pod is Pending keeps
 * the old pods serving; putting the old resources back completes it. And the Agent Agency
 * fixture still fits on this machine, so the default drills are unaffected.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type Sandbox, sandbox, WEB_SCRIPT } from '../../testing/local-sandbox.ts';
import { createLocalPlatform } from './index.ts';
import {
  machineAllocatable,
  NodeScheduler,
  podRequests,
  rolloutBudget,
  type Schedulable,
} from './scheduler.ts';
import type { LocalStack } from './stack.ts';
import { loadStackFile } from './stack-file.ts';

let box: Sandbox;
let stack: LocalStack;

// 1 CPU: two 400m `web` pods and two 100m `api` pods fill it exactly.
const stackYaml = (web: string) => `
namespace: drill
node: { allocatable: { cpu: '1', memory: 1Gi } }
workloads:
  - name: web
    kind: process
    replicas: 1
    command: ['\${node}', '${web}']
    env: { PORT: '\${port}', POD_NAME: '\${pod}' }
    readiness: { type: http, path: /, periodMs: 200 }
    terminationGracePeriodMs: 500
    resources: { requests: { cpu: 400m, memory: 64Mi } }
  - name: api
    kind: process
    replicas: 2
    command: ['\${node}', '${web}']
    env: { PORT: '\${port}', POD_NAME: '\${pod}' }
    readiness: { type: http, path: /, periodMs: 200 }
    terminationGracePeriodMs: 500
    strategy: RollingUpdate
    resources: { requests: { cpu: 100m, memory: 64Mi } }
`;

const INSUFFICIENT_CPU = '0/1 nodes are available: 1 Insufficient cpu.';

beforeAll(async () => {
  box = sandbox('firedrill-sched-');
  const file = box.write('stack.yaml', stackYaml(box.write('web.mjs', WEB_SCRIPT)));
  const platform = createLocalPlatform({ stackFile: file, ledger: box.ledger });
  stack = (await platform.up({ stateDir: box.stateDir })) as LocalStack;
});

afterAll(async () => {
  await stack?.down();
  expect(box.ledger.pending()).toEqual([]);
  box.cleanup();
});

const byState = async (workload: string) => {
  const s = await stack.status(workload);
  return {
    running: s.pods.filter((p) => p.state === 'Running'),
    pending: s.pods.filter((p) => p.state === 'Pending'),
  };
};

describe('node capacity on the local platform', () => {
  it('keeps a replica whose requests do not fit Pending, with the reason, and starts it when capacity frees', async () => {
    await stack.scale('web', 3);
    const s = await stack.status('web');
    expect(s.pods.map((p) => p.state).sort()).toEqual(['Pending', 'Running', 'Running']);
    expect(s.state).toBe('Pending');
    const pending = s.pods.find((p) => p.state === 'Pending')!;
    expect(pending.message).toBe(INSUFFICIENT_CPU);
    expect(stack.workload('web').pods.find((p) => p.name === pending.name)?.pid).toBeUndefined();
    // `kubectl get pods` as the runbook sees it says why.
    const table = await stack.perform({ verb: 'status', workload: 'web' });
    expect(table).toMatch(new RegExp(`${pending.name}\\s+0/1\\s+Pending.*Insufficient cpu`));
    const metrics = await (await fetch(await stack.metricsEndpoint())).text();
    expect(metrics).toContain(`kube_pod_status_unschedulable{namespace="drill",pod="${pending.name}"} 1`);

    // Deleting a running pod frees its 400m: the oldest waiting pod gets it, the replacement waits.
    const victim = s.pods.find((p) => p.state === 'Running')!.name;
    await stack.deletePod('web', victim);
    await eventually('the Pending pod running and ready', async () => {
      const now = await stack.status('web');
      return now.pods.find((p) => p.name === pending.name)?.ready;
    });
    const after = await byState('web');
    expect(after.pending).toHaveLength(1);
    expect(after.pending[0]!.name).not.toBe(pending.name);

    // Scaling down removes the pod that is not on the node first.
    await stack.scale('web', 2);
    const two = await stack.status('web');
    expect(two.pods.map((p) => p.state)).toEqual(['Running', 'Running']);
    expect(two.pods.map((p) => p.name)).toContain(pending.name);
  });

  it('holds a rollout whose new pod is Pending: the old pods keep serving until the old resources return', async () => {
    const before = await stack.status('api');
    expect(before.readyReplicas).toBe(2);
    await stack.setResources('api', { requests: { cpu: '2', memory: '64Mi' } });
    const stuck = await eventually('a Pending new pod', async () => {
      const s = await stack.status('api');
      return s.pods.some((p) => p.state === 'Pending') ? s : undefined;
    });
    expect(stuck.state).toBe('Pending');
    expect(stuck.pods.find((p) => p.state === 'Pending')?.message).toBe(INSUFFICIENT_CPU);
    // Give the rollout time to do the wrong thing (remove an old pod) before checking it did not.
    await new Promise((r) => setTimeout(r, 1500));
    const held = await stack.status('api');
    const oldNames = before.pods.map((p) => p.name);
    expect(
      held.pods
        .filter((p) => p.ready)
        .map((p) => p.name)
        .sort(),
    ).toEqual([...oldNames].sort());
    const served = new Set<string>();
    const url = await stack.endpoint('api');
    for (let i = 0; i < 4; i++)
      served.add(await (await fetch(url, { headers: { connection: 'close' } })).text());
    expect([...served].every((n) => oldNames.includes(n))).toBe(true);

    await stack.setResources('api', before.resources);
    await stack.workload('api').rolloutComplete();
    expect(stack.workload('api').warnings.some((w) => w.includes('rollout stuck: new pods Pending'))).toBe(
      true,
    );
    const done = await eventually('two new ready pods', async () => {
      const s = await stack.status('api');
      return s.readyReplicas === 2 && s.pods.length === 2 ? s : undefined;
    });
    expect(done.state).toBe('Running');
    // Back to the old template: its pods are the current revision again and stay, as the old
    // ReplicaSet does on Kubernetes; only the Pending pod of the abandoned revision went.
    expect(done.pods.map((p) => p.name).sort()).toEqual([...oldNames].sort());
  });

  it('goes on with a rollout held by a Pending pod once another workload frees the capacity', async () => {
    const before = await stack.status('api');
    await stack.setResources('api', { requests: { cpu: '200m', memory: '64Mi' } });
    await eventually('a Pending new pod', async () => (await byState('api')).pending.length === 1);
    expect((await stack.status('api')).readyReplicas).toBe(2);
    await stack.scale('web', 1); // frees 400m: room for the new pods, one after the other
    const done = await eventually('the rollout through', async () => {
      const s = await stack.status('api');
      const names = s.pods.map((p) => p.name);
      return s.readyReplicas === 2 &&
        names.length === 2 &&
        !names.some((n) => before.pods.some((o) => o.name === n))
        ? s
        : undefined;
    });
    expect(done.state).toBe('Running');
    expect(done.resources.requests?.cpu).toBe('200m');
  });
});

describe('the scheduler', () => {
  const seat = (cpu: number, memory: number, log: string[], name: string): Schedulable => ({
    requests: { cpu, memory },
    bind: () => log.push(`bind ${name}`),
    unschedulable: (reason) => {
      if (!log.includes(`${name}: ${reason}`)) log.push(`${name}: ${reason}`);
    },
  });

  it('binds waiting pods oldest first, without letting a big one block a small one', () => {
    const node = new NodeScheduler({ cpu: 1, memory: 2 ** 30 });
    const log: string[] = [];
    const a = seat(0.6, 0, log, 'a');
    node.schedule(a);
    node.schedule(seat(0.6, 2 ** 31, log, 'big'));
    node.schedule(seat(0.3, 0, log, 'small'));
    expect(log).toEqual([
      'bind a',
      'big: 0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory.',
      'bind small',
    ]);
    expect(node.reserved().cpu).toBeCloseTo(0.9);
    node.release(a);
    expect(node.reserved().cpu).toBeCloseTo(0.3);
  });

  it('says in the limitations what one node cannot model', async () => {
    const declared = createLocalPlatform({
      stackFile: box.write('decl.yaml', stackYaml('web.mjs')),
      ledger: box.ledger,
    });
    expect((await declared.preflight()).limitations).toContain(
      'node capacity: one node of the declared 1 CPU, 1.0 GiB; a cluster may have more nodes to schedule pods on',
    );
    const fixture = createLocalPlatform({
      stackFile: join(import.meta.dirname, '../../../fixtures/agent-agency/local-stack.yaml'),
      ledger: box.ledger,
    });
    const line = (await fixture.preflight()).limitations.find((l) => l.startsWith('node capacity'));
    expect(line).toMatch(
      /this machine's \d+ CPU, [\d.]+ GiB with nothing reserved.*declare node\.allocatable/,
    );
  });

  it('rounds the rollout budget as a Deployment does', () => {
    expect(rolloutBudget(1)).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    expect(rolloutBudget(3)).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    expect(rolloutBudget(5)).toEqual({ maxSurge: 2, maxUnavailable: 1 });
  });

  it('fits the Agent Agency fixture on this machine, with a rollout surge on every workload', () => {
    const spec = loadStackFile(join(import.meta.dirname, '../../../fixtures/agent-agency/local-stack.yaml'));
    const node = new NodeScheduler(spec.allocatable ?? machineAllocatable());
    const refused: string[] = [];
    for (const w of spec.workloads) {
      const pods = w.replicas + rolloutBudget(w.replicas).maxSurge;
      for (let i = 0; i < pods; i++) {
        node.schedule({
          requests: podRequests(w.resources),
          bind: () => {},
          unschedulable: (reason) => refused.push(`${w.name}: ${reason}`),
        });
      }
    }
    expect(refused).toEqual([]);
    expect(node.reserved().cpu).toBeGreaterThan(0);
  });
});

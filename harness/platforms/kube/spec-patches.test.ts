/** kubectl's write semantics as JSON patches, and the restore snapshot, without a cluster. */
import { loadYaml, type V1Deployment, V1NetworkPolicy } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  cleanNetworkPolicy,
  differs,
  restoreOps,
  snapshotDeployment,
  stableJson,
  wireNetworkPolicy,
} from './snapshot.ts';
import { envOps, resourcesOps, withRequestsWithinLimits } from './spec-patches.ts';

const deployment = (): V1Deployment => ({
  metadata: { name: 'api' },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'api' } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
    template: {
      spec: {
        containers: [
          {
            name: 'api',
            env: [
              { name: 'A', value: '1' },
              { name: 'KEY', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
            ],
            resources: {
              limits: { cpu: '500m', memory: '256Mi' },
              requests: { cpu: '100m', memory: '128Mi' },
            },
          },
        ],
      },
    },
  },
});

describe('deployment patches', () => {
  it('set env: a value replaces valueFrom, null removes, others stay; guarded by the container name', () => {
    const ops = envOps(deployment(), { KEY: 'plain', A: null, B: '2' });
    expect(ops[0]).toEqual({ op: 'test', path: '/spec/template/spec/containers/0/name', value: 'api' });
    expect(ops[1]).toEqual({
      op: 'add',
      path: '/spec/template/spec/containers/0/env',
      value: [
        { name: 'KEY', value: 'plain' },
        { name: 'B', value: '2' },
      ],
    });
  });

  it('set resources: named keys change, a limit below the request lowers the request', () => {
    const ops = resourcesOps(deployment(), { limits: { memory: '24Mi' } });
    expect(ops[1]).toMatchObject({
      value: { limits: { cpu: '500m', memory: '24Mi' }, requests: { cpu: '100m', memory: '24Mi' } },
    });
    expect(withRequestsWithinLimits({ cpu: '1' }, { cpu: '100m' }).requests.cpu).toBe('100m');
    expect(withRequestsWithinLimits({ cpu: '50m' }, { cpu: '100m' }).requests.cpu).toBe('50m');
  });

  it('restore puts replicas, strategy, env and resources back, and sees no difference on an equal object', () => {
    const snap = snapshotDeployment(deployment());
    const changed = deployment();
    changed.spec!.replicas = 1;
    expect(differs(snap, changed)).toBe(true);
    expect(differs(snap, deployment())).toBe(false);
    const ops = restoreOps(snap);
    expect(ops).toContainEqual({ op: 'add', path: '/spec/replicas', value: 3 });
    expect(ops).toContainEqual({ op: 'add', path: '/spec/strategy', value: deployment().spec!.strategy });
    expect(ops.find((o) => o.path.endsWith('/env'))).toMatchObject({
      value: deployment().spec!.template.spec!.containers[0]!.env,
    });
  });

  it('restore takes the halt marker away, whether or not it is there (add, then remove)', () => {
    const annotated = deployment();
    annotated.metadata!.annotations = { 'deployment.kubernetes.io/revision': '2' };
    const marker = '/metadata/annotations/firedrill.dev~1halted';
    expect(restoreOps(snapshotDeployment(annotated)).slice(-2)).toEqual([
      { op: 'add', path: marker, value: '' },
      { op: 'remove', path: marker },
    ]);
    // without annotations the add would fail for want of a parent: nothing to take away then
    expect(restoreOps(snapshotDeployment(deployment())).some((o) => o.path === marker)).toBe(false);
  });

  it('re-creates a network policy alike from a watch (API JSON) and a list (client models); kubectl gets `from`', () => {
    const wire = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'allow-db', labels: { app: 'db' } },
      spec: {
        podSelector: { matchLabels: { app: 'db' } },
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ podSelector: { matchLabels: { app: 'api' } } }], ports: [{ port: 5432 }] }],
      },
    };
    const listed = loadYaml<V1NetworkPolicy>(JSON.stringify(wire));
    expect(listed).toBeInstanceOf(V1NetworkPolicy);
    const fromWatch = cleanNetworkPolicy(structuredClone(wire) as V1NetworkPolicy);
    const fromList = cleanNetworkPolicy(listed);
    expect(stableJson(fromWatch)).toBe(stableJson(fromList));
    expect(wireNetworkPolicy(fromWatch)).toEqual(wire);
    expect(wireNetworkPolicy(fromList)).toEqual(wire);
  });

  it('compares objects regardless of key order and Date vs string', () => {
    expect(stableJson({ b: 1, a: [{ y: 2, x: undefined, z: 1 }] })).toBe('{"a":[{"y":2,"z":1}],"b":1}');
    expect(stableJson(new Date('2026-01-01T00:00:00Z'))).toBe('"2026-01-01T00:00:00.000Z"');
  });
});

/** The halt's patches, applied to a deployment by a small RFC 6902 applier: halt, then each way back. */
import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { JsonPatchOp } from './api.ts';
import { crashCommand, endHaltOps, HALTED, haltOf, haltOps } from './halt.ts';
import { restoreOps, snapshotDeployment } from './snapshot.ts';

/** Apply `ops` as the API server does: all or nothing, a failed `test` fails the patch. */
function applyPatch<T>(doc: T, ops: readonly JsonPatchOp[]): T {
  const out = structuredClone(doc) as unknown;
  for (const op of ops) {
    const keys = op.path
      .split('/')
      .slice(1)
      .map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = keys.pop()!;
    let parent = out as Record<string, unknown>;
    for (const k of keys) {
      if (parent[k] === undefined) throw new Error(`${op.op} ${op.path}: no ${k}`);
      parent = parent[k] as Record<string, unknown>;
    }
    if (op.op === 'test') {
      if (JSON.stringify(parent[last]) !== JSON.stringify(op.value))
        throw new Error(`test ${op.path} failed`);
    } else if (op.op === 'remove') {
      if (!(last in parent)) throw new Error(`remove ${op.path}: not there`);
      delete parent[last];
    } else {
      parent[last] = structuredClone(op.value);
    }
  }
  return out as T;
}

const deployment = (): V1Deployment => ({
  metadata: { name: 'db', generation: 4, annotations: { 'deployment.kubernetes.io/revision': '4' } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'db' } },
    template: {
      spec: {
        containers: [
          { name: 'db', image: 'postgres', args: ['-c', 'max_connections=50'] },
          { name: 'sidecar', image: 'exporter', command: ['/bin/exporter'] },
        ],
      },
    },
  },
});

describe('halt patches', () => {
  const halted = () => applyPatch(deployment(), haltOps(deployment()).ops);

  it('halting replaces every command with one that crashes, drops args, and keeps what it took in the marker', () => {
    const d = halted();
    expect(d.spec!.replicas).toBe(0);
    for (const c of d.spec!.template.spec!.containers) {
      expect(c.command).toEqual(crashCommand('db'));
      expect(c.args).toBeUndefined();
    }
    expect(haltOf(d)).toEqual({
      replicas: 2,
      containers: [
        { name: 'db', args: ['-c', 'max_connections=50'] },
        { name: 'sidecar', command: ['/bin/exporter'] },
      ],
    });
    expect(crashCommand('db').at(-1)).toMatch(/exit 1$/);
  });

  it('ending the halt gives back commands and args (absent ones stay absent) and takes the marker away', () => {
    const crashing = { ...halted(), spec: { ...halted().spec!, replicas: 2 } };
    const back = applyPatch(crashing, endHaltOps(crashing, haltOf(crashing)!));
    expect(back).toEqual(deployment());
    expect(haltOf(back)).toBeUndefined();
  });

  it('a command someone set while halted is kept; the other containers get theirs back', () => {
    const d = { ...halted(), spec: { ...halted().spec!, replicas: 2 } };
    d.spec!.template.spec!.containers[0]!.command = ['postgres', '-c', 'max_connections=80'];
    const back = applyPatch(d, endHaltOps(d, haltOf(d)!));
    const [db, sidecar] = back.spec!.template.spec!.containers;
    expect(db!.command).toEqual(['postgres', '-c', 'max_connections=80']);
    expect(sidecar!.command).toEqual(['/bin/exporter']);
    expect(haltOf(back)).toBeUndefined();
  });

  it('a halt interrupted at zero replicas gets its replicas back too; a scale by someone else is kept', () => {
    const stopped = halted();
    expect(applyPatch(stopped, endHaltOps(stopped, haltOf(stopped)!)).spec!.replicas).toBe(2);
    const scaled = { ...stopped, spec: { ...stopped.spec!, replicas: 5 } };
    expect(applyPatch(scaled, endHaltOps(scaled, haltOf(scaled)!)).spec!.replicas).toBe(5);
  });

  it('the restore snapshotted before the halt (the ledger after a SIGKILL) undoes it whole', () => {
    const snap = snapshotDeployment(deployment());
    const back = applyPatch(halted(), restoreOps(snap));
    const commands = (d: V1Deployment) =>
      d.spec!.template.spec!.containers.map(({ name, command, args }) => ({ name, command, args }));
    expect(commands(back)).toEqual(commands(deployment()));
    expect(back.spec!.replicas).toBe(2);
    expect(back.metadata!.annotations).not.toHaveProperty(HALTED);
  });

  it('a container renamed since the halt fails the patch instead of getting another command', () => {
    const d = halted();
    d.spec!.template.spec!.containers[1]!.name = 'other';
    expect(() => applyPatch(d, endHaltOps(d, haltOf(d)!))).toThrow(/test .*containers\/1\/name failed/);
  });

  it('an unreadable marker is an error, not a guess', () => {
    const d = deployment();
    d.metadata!.annotations![HALTED] = '{"replicas":"two"}';
    expect(() => haltOf(d)).toThrow(/unreadable firedrill.dev\/halted annotation/);
    d.metadata!.annotations![HALTED] = '3'; // the old marker's shape: a replica count
    expect(() => haltOf(d)).toThrow(/unreadable firedrill.dev\/halted annotation/);
  });
});

/** Which allow policies a deny must suspend, checked on the fixture's own policies. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { V1NetworkPolicy } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { denyPolicy, dnsDenyPolicy, policiesToSuspend, suspendPatch, unsuspendPatch } from './network.ts';
import { selectorMatches } from './pod-state.ts';

const repoRoot = resolve(import.meta.dirname, '..', '..', '..');
const fixturePolicies = parseAllDocuments(
  readFileSync(join(repoRoot, 'fixtures/k8s/base/network-policies.yaml'), 'utf8'),
)
  .map((d) => d.toJS() as V1NetworkPolicy)
  .filter((p) => p?.kind === 'NetworkPolicy');
const app = (name: string) => ({ app: `agent-agency-${name}` });

describe('network faults over a default-deny namespace', () => {
  it('a deny orchestrator -> postgres, redis suspends exactly the two allows that open those paths', () => {
    expect(fixturePolicies.length).toBeGreaterThan(5);
    const suspend = policiesToSuspend(fixturePolicies, app('orchestrator'), {
      targets: [app('postgres'), app('redis')],
    });
    expect(suspend.sort()).toEqual(['allow-orchestrator-to-postgres', 'allow-orchestrator-to-redis']);
  });

  it('a DNS failure suspends the DNS allow for that workload only', () => {
    expect(policiesToSuspend(fixturePolicies, app('council'), { dnsPort: true })).toEqual([
      'allow-dns-egress',
    ]);
    const dns = fixturePolicies.find((p) => p.metadata?.name === 'allow-dns-egress')!;
    const patched = suspendPatch(dns, 'firedrill-dns-council', { key: 'app', value: 'agent-agency-council' });
    expect(selectorMatches(patched.spec.podSelector, app('council'))).toBe(false);
    expect(selectorMatches(patched.spec.podSelector, app('orchestrator'))).toBe(true);
    expect(unsuspendPatch({}).spec.podSelector.matchExpressions).toBeNull();
  });

  it('the fault policies alone allow everything but the denied paths', () => {
    const deny = denyPolicy('firedrill-deny-orchestrator', 'agent-agency', app('orchestrator'), [
      { key: 'app', value: 'agent-agency-postgres' },
    ]);
    const peer = deny.spec!.egress![0]!.to![0]!;
    expect(selectorMatches(peer.podSelector, app('postgres'))).toBe(false);
    expect(selectorMatches(peer.podSelector, app('mock-llm'))).toBe(true);
    expect(deny.metadata?.labels?.['firedrill.dev/fault']).toBe('true');
    const ports = dnsDenyPolicy('x', 'agent-agency', app('council')).spec!.egress![0]!.ports!;
    const opens53 = ports.some((p) => (p.port as number) <= 53 && 53 <= (p.endPort ?? (p.port as number)));
    expect(opens53).toBe(false);
  });
});

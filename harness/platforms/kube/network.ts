/**
 * Network faults as real NetworkPolicies, enforced by the cluster's network plugin.
 *
 * NetworkPolicy only allows: a pod's permitted traffic is the union of every policy selecting
 * it. So a "deny" is two things:
 * - the fault policy itself (labelled firedrill.dev/fault=true): it selects the source pods and
 *   allows all their egress except the denied destinations. In a namespace without other
 *   policies, it alone makes the deny real;
 * - in a default-deny namespace (like the fixture's), the allow policies that would still open
 *   the denied paths are suspended: their podSelector gains `NotIn` for the source workload.
 *   Each suspended policy is annotated with its fault policy and original selector.
 * A suspension lasts exactly as long as its fault policy: when the fault policy is deleted
 * (by the runbook's own `kubectl delete networkpolicy`, by anyone), the platform's watch sees
 * it and lifts the suspensions at once, so the fix the runbook prescribes is the fix that works.
 */
import type { V1NetworkPolicy, V1NetworkPolicyPeer, V1NetworkPolicyPort } from '@kubernetes/client-node';
import type { UndoAction } from '../../core/ledger.ts';
import type { KubeApi } from './api.ts';
import { selectorMatches } from './pod-state.ts';

export const FAULT_LABEL = 'firedrill.dev/fault';
export const SUSPENDED_BY = 'firedrill.dev/suspended-by';
export const ORIGINAL_SELECTOR = 'firedrill.dev/original-pod-selector';

type Labels = Readonly<Record<string, string>>;

export interface DenyPlan {
  readonly policy: V1NetworkPolicy;
  /** Allow policies to suspend while the fault policy exists. */
  readonly suspend: readonly string[];
}

/** Allow-all egress except to the pods of `deniedLabels` (same namespace); DNS stays open. */
export function denyPolicy(
  name: string,
  namespace: string,
  from: Labels,
  denied: readonly { key: string; value: string }[],
): V1NetworkPolicy {
  const byKey = new Map<string, string[]>();
  for (const d of denied) byKey.set(d.key, [...(byKey.get(d.key) ?? []), d.value]);
  const peers: V1NetworkPolicyPeer[] = [
    {
      podSelector: {
        matchExpressions: [...byKey].map(([key, values]) => ({ key, operator: 'NotIn', values })),
      },
    },
    {
      namespaceSelector: {
        matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [namespace] }],
      },
    },
  ];
  return faultPolicy(
    name,
    namespace,
    from,
    [{ to: peers }],
    `deny egress to ${denied.map((d) => d.value).join(', ')}`,
  );
}

/** Allow-all egress on every port but 53: name resolution fails, everything else works. */
export function dnsDenyPolicy(name: string, namespace: string, from: Labels): V1NetworkPolicy {
  const ports: V1NetworkPolicyPort[] = ['UDP', 'TCP'].flatMap((protocol) => [
    { protocol, port: 1, endPort: 52 },
    { protocol, port: 54, endPort: 65535 },
  ]);
  return faultPolicy(name, namespace, from, [{ ports }], 'deny DNS (port 53) egress');
}

function faultPolicy(
  name: string,
  namespace: string,
  from: Labels,
  egress: NonNullable<V1NetworkPolicy['spec']>['egress'],
  purpose: string,
): V1NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name,
      namespace,
      labels: { [FAULT_LABEL]: 'true', 'app.kubernetes.io/managed-by': 'firedrill' },
      annotations: { 'firedrill.dev/purpose': purpose },
    },
    spec: { podSelector: { matchLabels: { ...from } }, policyTypes: ['Egress'], egress },
  };
}

const portOpens = (ports: V1NetworkPolicyPort[] | undefined, port: number): boolean =>
  !ports?.length ||
  ports.some((p) => {
    if (p.port === undefined) return true;
    if (typeof p.port !== 'number') return false; // a named port is never 53 here
    return port >= p.port && port <= (p.endPort ?? p.port);
  });

const peerReaches = (peer: V1NetworkPolicyPeer, labels: Labels): boolean =>
  !peer.namespaceSelector && !peer.ipBlock && selectorMatches(peer.podSelector, labels);

/**
 * Egress allow policies that select the source pods and would still open a path the fault
 * closes: a rule to any of `targets` (same namespace), or, with `dnsPort`, a rule on port 53.
 */
export function policiesToSuspend(
  policies: readonly V1NetworkPolicy[],
  source: Labels,
  opts: { targets?: readonly Labels[]; dnsPort?: boolean },
): string[] {
  const out: string[] = [];
  for (const p of policies) {
    if (p.metadata?.labels?.[FAULT_LABEL] === 'true') continue;
    const spec = p.spec;
    if (!spec || !selectorMatches(spec.podSelector, source)) continue;
    const types = spec.policyTypes ?? (spec.egress ? ['Ingress', 'Egress'] : ['Ingress']);
    if (!types.includes('Egress')) continue;
    const opens = (spec.egress ?? []).some((rule) => {
      if (opts.dnsPort) return portOpens(rule.ports, 53);
      const peers = rule.to ?? [];
      if (peers.length === 0) return true; // to everywhere
      return (opts.targets ?? []).some((t) => peers.some((peer) => peerReaches(peer, t)));
    });
    if (opens) out.push(p.metadata!.name!);
  }
  return out;
}

interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Merge patch that takes the source workload's pods out of a policy, and remembers how it was. */
export function suspendPatch(
  policy: V1NetworkPolicy,
  faultPolicy: string,
  exclude: { key: string; value: string },
) {
  const selector = (policy.spec?.podSelector ?? {}) as Selector;
  return {
    metadata: {
      annotations: {
        [SUSPENDED_BY]: faultPolicy,
        [ORIGINAL_SELECTOR]: JSON.stringify(selector),
      },
    },
    spec: {
      podSelector: {
        matchExpressions: [
          ...(selector.matchExpressions ?? []),
          { key: exclude.key, operator: 'NotIn', values: [exclude.value] },
        ],
      },
    },
  };
}

/** Merge patch that puts a suspended policy's selector back and drops the annotations. Idempotent. */
export function unsuspendPatch(original: Selector) {
  return {
    metadata: { annotations: { [SUSPENDED_BY]: null, [ORIGINAL_SELECTOR]: null } },
    spec: { podSelector: { matchExpressions: original.matchExpressions ?? null } },
  };
}

export const originalSelector = (p: V1NetworkPolicy): Selector | undefined => {
  const raw = p.metadata?.annotations?.[ORIGINAL_SELECTOR];
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as Selector;
  } catch {
    return undefined;
  }
};

/** Lift every suspension that `faultPolicy` holds (or all of them); returns the policies restored. */
export async function liftSuspensions(
  api: KubeApi,
  policies: readonly V1NetworkPolicy[],
  faultPolicy?: string,
): Promise<string[]> {
  const lifted: string[] = [];
  for (const p of policies) {
    const by = p.metadata?.annotations?.[SUSPENDED_BY];
    if (!by || (faultPolicy !== undefined && by !== faultPolicy)) continue;
    await api.mergePatchNetworkPolicy(p.metadata!.name!, unsuspendPatch(originalSelector(p) ?? {}));
    lifted.push(p.metadata!.name!);
  }
  return lifted;
}

export type RecipeFor = (args: readonly string[], stdin?: string) => UndoAction;

/** Ledger recipe that lifts one suspension with kubectl, as the in-process path does. */
export const unsuspendRecipe = (recipe: RecipeFor, policy: V1NetworkPolicy): UndoAction =>
  recipe([
    'patch',
    'networkpolicy',
    policy.metadata!.name!,
    '--type=merge',
    '-p',
    JSON.stringify(unsuspendPatch((policy.spec?.podSelector ?? {}) as Selector)),
  ]);

export const deletePolicyRecipe = (recipe: RecipeFor, name: string): UndoAction =>
  recipe(['delete', 'networkpolicy', name, '--ignore-not-found']);

/**
 * Putting a reused cluster back after a drill: fault policies and their suspensions go, network
 * policies the runbook deleted come back, and every deployment gets the replicas, env,
 * resources and commands it had when the drill began (the ledger held the same restore as
 * kubectl commands since before the first change). The fixtures stay deployed; the next drill
 * reuses them.
 */
import type { V1Deployment, V1NetworkPolicy, V1Pod } from '@kubernetes/client-node';
import type { Clock } from '../../core/clock.ts';
import { errorMessage } from '../../core/errors.ts';
import type { Ledger, UndoAction } from '../../core/ledger.ts';
import type { KubeApi } from './api.ts';
import { pointer } from './api.ts';
import { endHaltOps, HALTED, haltOf, stopBoundMs, untilPodsGone } from './halt.ts';
import type { KubectlTarget } from './kubectl.ts';
import { kubectlRecipe } from './kubectl.ts';
import type { NetworkFaults } from './network-faults.ts';
import {
  cleanNetworkPolicy,
  type DeploymentSnapshot,
  differs,
  restoreOps,
  snapshotDeployment,
  wireNetworkPolicy,
} from './snapshot.ts';

export interface Baseline {
  readonly deployments: ReadonlyMap<string, { snap: DeploymentSnapshot; entry: string }>;
  readonly policies: { readonly items: readonly V1NetworkPolicy[]; readonly entry: string };
}

/** The kubectl command that patches a deployment back to `snap`, for the ledger (crash-safe). */
export function restoreRecipe(target: KubectlTarget, snap: DeploymentSnapshot): UndoAction {
  return kubectlRecipe(target, [
    'patch',
    'deployment',
    snap.name,
    '--type=json',
    '-p',
    JSON.stringify(restoreOps(snap)),
  ]);
}

/** Snapshot and ledger the starting state, before the drill changes anything. */
export function recordBaseline(
  ledger: Ledger,
  target: KubectlTarget,
  deployments: readonly V1Deployment[],
  policies: readonly V1NetworkPolicy[],
): Baseline {
  const out = new Map<string, { snap: DeploymentSnapshot; entry: string }>();
  for (const d of deployments) {
    const snap = snapshotDeployment(d);
    out.set(snap.name, {
      snap,
      entry: ledger.record(
        `deployment ${snap.name}: replicas, env, resources and commands as before the drill`,
        restoreRecipe(target, snap),
      ).id,
    });
  }
  const items = policies.map(cleanNetworkPolicy);
  const list = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: items.map(wireNetworkPolicy) });
  const entry = ledger.record(
    `network policies of ${target.namespace} as before the drill (${items.length})`,
    kubectlRecipe(target, ['apply', '-f', '-'], list),
  ).id;
  return { deployments: out, policies: { items, entry } };
}

export interface RestoreParts {
  readonly api: KubeApi;
  readonly ledger: Ledger;
  readonly network: NetworkFaults;
  readonly deployments: () => readonly V1Deployment[];
  readonly policies: () => readonly V1NetworkPolicy[];
  readonly observe: (d: V1Deployment) => void;
  readonly podsOf: (d: V1Deployment) => readonly V1Pod[];
  readonly clock: Clock;
}

/**
 * Before a workload at zero replicas is scaled back: wait (bounded) until its old pods have
 * stopped. A halt cut short may leave one still stopping, and a replacement started beside it
 * would share its volume (two Postgres servers on one data directory lose writes).
 */
async function oldPodsStopped(p: Pick<RestoreParts, 'podsOf' | 'clock'>, d: V1Deployment): Promise<void> {
  if ((d.spec?.replicas ?? 1) !== 0) return;
  const left = await untilPodsGone(() => p.podsOf(d), p.clock, stopBoundMs(d));
  if (left.length) throw new Error(`old pod(s) ${left.join(', ')} still stopping; not scaled back`);
}

/** Returns what could not be restored (empty when all is back). */
export async function restoreBaseline(p: RestoreParts, baseline: Baseline): Promise<string[]> {
  const errors: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      errors.push(`${what}: ${errorMessage(err)}`);
    }
  };
  await attempt('fault network policies', () => p.network.removeAll());
  await attempt('network policies', async () => {
    const present = new Set(p.policies().map((x) => x.metadata?.name));
    for (const policy of baseline.policies.items)
      if (!present.has(policy.metadata?.name)) await p.api.createNetworkPolicy(policy);
    p.ledger.settle(baseline.policies.entry);
  });
  const live = new Map(p.deployments().map((d) => [d.metadata?.name ?? '', d]));
  for (const [name, { snap, entry }] of baseline.deployments) {
    await attempt(`deployment ${name}`, async () => {
      const halted = (x: V1Deployment | undefined) => x?.metadata?.annotations?.[HALTED] !== undefined;
      let d = live.get(name);
      if (d && (differs(snap, d) || halted(d))) {
        await oldPodsStopped(p, d);
        d = await p.api.patchDeployment(name, restoreOps(snap)); // the halt marker goes with it
        p.observe(d);
      }
      if (halted(d))
        p.observe(
          await p.api.patchDeployment(name, [
            { op: 'remove', path: `/metadata/annotations/${pointer(HALTED)}` },
          ]),
        );
      p.ledger.settle(entry);
    });
  }
  return errors;
}

/** Leftovers of an interrupted drill, found before a new one starts: halted workloads come back. */
export async function reviveHalted(
  api: KubeApi,
  deployments: readonly V1Deployment[],
  stopped: Pick<RestoreParts, 'podsOf' | 'clock'>,
): Promise<string[]> {
  const revived: string[] = [];
  for (const d of deployments) {
    const h = haltOf(d);
    if (!h) continue;
    await oldPodsStopped(stopped, d);
    await api.patchDeployment(d.metadata!.name!, endHaltOps(d, h));
    revived.push(d.metadata!.name!);
  }
  return revived;
}

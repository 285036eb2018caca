/**
 * Network denies and DNS failures on a live namespace (see network.ts for the policy shapes):
 * each fault policy and each suspension is written to the ledger before it is made, and a
 * fault policy deleted by anyone (the runbook's own kubectl, typically) lifts its suspensions
 * at once, through the NetworkPolicy watch.
 */
import type { V1Deployment, V1NetworkPolicy, V1Pod } from '@kubernetes/client-node';
import { errorMessage } from '../../core/errors.ts';
import type { Ledger } from '../../core/ledger.ts';
import type { Logger } from '../../core/log.ts';
import type { NetworkDeny } from '../types.ts';
import { isNotFound, type KubeApi } from './api.ts';
import { cutEstablished } from './conntrack.ts';
import {
  deletePolicyRecipe,
  denyPolicy,
  dnsDenyPolicy,
  FAULT_LABEL,
  liftSuspensions,
  originalSelector,
  policiesToSuspend,
  type RecipeFor,
  SUSPENDED_BY,
  suspendPatch,
  unsuspendPatch,
  unsuspendRecipe,
} from './network.ts';
import type { WatchCache } from './watch-cache.ts';

interface Held {
  /** Ledger entry of the fault policy itself. */
  readonly entry: string;
  /** Suspended policy -> its ledger entry. */
  readonly suspended: Map<string, string>;
}

export class NetworkFaults {
  private readonly held = new Map<string, Held>();
  private readonly api: KubeApi;
  private readonly policies: WatchCache<V1NetworkPolicy>;
  private readonly deployment: (name: string) => V1Deployment;
  private readonly podsOf: (name: string) => V1Pod[];
  private readonly ledger: Ledger;
  private readonly recipe: RecipeFor;
  private readonly log: Logger;

  constructor(opts: {
    api: KubeApi;
    policies: WatchCache<V1NetworkPolicy>;
    deployment: (name: string) => V1Deployment;
    podsOf: (name: string) => V1Pod[];
    ledger: Ledger;
    recipe: RecipeFor;
    log: Logger;
  }) {
    this.api = opts.api;
    this.policies = opts.policies;
    this.deployment = opts.deployment;
    this.podsOf = opts.podsOf;
    this.ledger = opts.ledger;
    this.recipe = opts.recipe;
    this.log = opts.log;
    this.policies.onChange((type, p) => {
      const name = p.metadata?.name ?? '';
      if (type !== 'DELETED' || !this.held.has(name)) return;
      this.log.info(`network policy ${name} deleted; lifting the suspensions it held`);
      this.lift(name).catch((err: unknown) => this.log.warn(`lifting ${name}: ${errorMessage(err)}`));
    });
  }

  /** Pod labels of a workload's selector, and the first of them for NotIn expressions. */
  private labelsOf(workload: string): { labels: Record<string, string>; key: string; value: string } {
    const labels = this.deployment(workload).spec?.selector?.matchLabels ?? {};
    const [key, value] = Object.entries(labels)[0] ?? [];
    if (!key || value === undefined) throw new Error(`${workload}: its selector has no matchLabels`);
    return { labels, key, value };
  }

  list(): string[] {
    return this.policies
      .list()
      .filter((p) => p.metadata?.labels?.[FAULT_LABEL] === 'true')
      .map((p) => p.metadata!.name!)
      .sort();
  }

  /** Returns the limitation when established connections could not be cut (see cutEstablished). */
  async deny(deny: NetworkDeny): Promise<readonly string[]> {
    const from = this.labelsOf(deny.from);
    const targets = deny.to.map((t) => this.labelsOf(t));
    const policy = denyPolicy(deny.name, this.api.namespace, from.labels, targets);
    const suspend = policiesToSuspend(this.policies.list(), this.podTemplateLabels(deny.from), {
      targets: deny.to.map((t) => this.podTemplateLabels(t)),
    });
    await this.install(policy, suspend, from);
    const cut = await cutEstablished(
      this.podsOf(deny.from),
      deny.to.flatMap((t) => this.podsOf(t)),
    );
    if (!cut.includes('NOT')) {
      this.log.debug(`${deny.name}: ${cut}`);
      return [];
    }
    this.log.warn(`${deny.name}: ${cut}`);
    return [`network deny ${deny.name}: ${cut}`];
  }

  async breakDns(workload: string, names: readonly string[]): Promise<{ restore(): Promise<void> }> {
    const from = this.labelsOf(workload);
    const name = `firedrill-dns-${workload.replace(new RegExp(`^${this.api.namespace}-`), '')}`.slice(0, 63);
    const suspend = policiesToSuspend(this.policies.list(), this.podTemplateLabels(workload), {
      dnsPort: true,
    });
    this.log.debug(`DNS fault for ${workload}: every name stops resolving (asked: ${names.join(', ')})`);
    await this.install(dnsDenyPolicy(name, this.api.namespace, from.labels), suspend, from);
    return { restore: () => this.remove(name) };
  }

  /** Delete a fault policy and lift what it suspended; a policy already gone is fine. */
  async remove(name: string): Promise<void> {
    await this.api.deleteNetworkPolicy(name);
    await this.lift(name);
  }

  /** Every fault policy and suspension in the namespace, ours or left by a crashed run. */
  async removeAll(): Promise<string[]> {
    const removed: string[] = [];
    for (const name of this.list()) {
      await this.remove(name);
      removed.push(name);
    }
    for (const name of [...this.held.keys()]) await this.lift(name);
    removed.push(...(await liftSuspensions(this.api, this.policies.list())));
    return removed;
  }

  private podTemplateLabels(workload: string): Record<string, string> {
    return this.deployment(workload).spec?.template.metadata?.labels ?? {};
  }

  private async install(
    policy: V1NetworkPolicy,
    suspend: readonly string[],
    from: { key: string; value: string },
  ): Promise<void> {
    const name = policy.metadata!.name!;
    if (this.held.has(name) || this.list().includes(name))
      throw new Error(`network policy ${name} already exists`);
    const held: Held = {
      entry: this.ledger.record(
        `network policy ${name} (${policy.metadata?.annotations?.['firedrill.dev/purpose']})`,
        deletePolicyRecipe(this.recipe, name),
      ).id,
      suspended: new Map(),
    };
    this.held.set(name, held);
    this.policies.observe(await this.api.createNetworkPolicy(policy));
    for (const s of suspend) {
      const current = this.policies.get(s);
      if (!current) continue;
      const by = current.metadata?.annotations?.[SUSPENDED_BY];
      if (by) throw new Error(`network policy ${s} is already suspended by ${by}`);
      held.suspended.set(
        s,
        this.ledger.record(
          `network policy ${s} suspended for ${from.value} while ${name} exists`,
          unsuspendRecipe(this.recipe, current),
        ).id,
      );
      this.policies.observe(await this.api.mergePatchNetworkPolicy(s, suspendPatch(current, name, from)));
    }
    this.log.debug(`network policy ${name} in force`, { suspended: [...held.suspended.keys()] });
  }

  private async lift(name: string): Promise<void> {
    const held = this.held.get(name);
    if (!held) return;
    this.held.delete(name);
    for (const [policy, entry] of held.suspended) {
      const current = this.policies.get(policy);
      try {
        if (current)
          this.policies.observe(
            await this.api.mergePatchNetworkPolicy(policy, unsuspendPatch(originalSelector(current) ?? {})),
          );
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      this.ledger.settle(entry);
    }
    this.ledger.settle(held.entry);
  }
}

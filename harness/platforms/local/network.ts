/**
 * The stack's network: one Service proxy per workload for the harness (like a NodePort on
 * 127.0.0.1), and one link proxy per (client workload -> service) pair, which is what the
 * client's env points at. Denies act on links, so "orchestrator -> postgres" can be cut while
 * the council and the harness still reach Postgres, as a NetworkPolicy would.
 */
import type { NetworkDeny } from '../types.ts';
import { TcpProxy } from './tcp-proxy.ts';

export class StackNetwork {
  private readonly services = new Map<string, TcpProxy>();
  private readonly links = new Map<string, TcpProxy>();
  private readonly denies = new Map<string, NetworkDeny>();
  private readonly backends: (workload: string) => readonly number[];

  constructor(backends: (workload: string) => readonly number[]) {
    this.backends = backends;
  }

  async service(workload: string): Promise<number> {
    return this.proxy(this.services, workload, workload);
  }

  async link(from: string, to: string): Promise<number> {
    return this.proxy(this.links, `${from}->${to}`, to);
  }

  servicePort(workload: string): number | undefined {
    const p = this.services.get(workload);
    return p ? p.port : undefined;
  }

  linkPort(from: string, to: string): number | undefined {
    const p = this.links.get(`${from}->${to}`);
    return p ? p.port : undefined;
  }

  /** Cut every link from `deny.from` to each of `deny.to`. Throws if a pair has no link. */
  apply(deny: NetworkDeny): void {
    if (this.denies.has(deny.name)) throw new Error(`network deny "${deny.name}" already exists`);
    const links = deny.to.map((to) => {
      const link = this.links.get(`${deny.from}->${to}`);
      if (!link) throw new Error(`no traffic path from ${deny.from} to ${to} in this stack: nothing to deny`);
      return link;
    });
    this.denies.set(deny.name, deny);
    for (const link of links) link.deny(deny.name);
  }

  remove(name: string): void {
    const deny = this.denies.get(name);
    if (!deny) throw new Error(`no network deny named "${name}"`);
    for (const to of deny.to) this.links.get(`${deny.from}->${to}`)?.allow(name);
    this.denies.delete(name);
  }

  list(): readonly string[] {
    return [...this.denies.keys()];
  }

  async close(): Promise<void> {
    await Promise.all([...this.services.values(), ...this.links.values()].map((p) => p.close()));
    this.services.clear();
    this.links.clear();
  }

  private async proxy(map: Map<string, TcpProxy>, key: string, target: string): Promise<number> {
    const existing = map.get(key);
    if (existing) return existing.port;
    const proxy = new TcpProxy(key, () => this.backends(target));
    map.set(key, proxy);
    return proxy.listen();
  }
}

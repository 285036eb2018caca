/**
 * The stack's network: one Service proxy per workload for the harness (like a NodePort on
 * 127.0.0.1), and one link proxy per (client workload -> service) pair, which is what the
 * client's env points at. Denies act on links, so "orchestrator -> postgres" can be cut while
 * the council and the harness still reach Postgres, as a NetworkPolicy would. With a
 * PacketDrop (root) a deny drops the link's packets, as a NetworkPolicy does; without, the
 * link proxy refuses.
 */
import type { NetworkDeny } from '../types.ts';
import type { PacketDrop } from './packet-drop.ts';
import { TcpProxy } from './tcp-proxy.ts';

export class StackNetwork {
  private readonly services = new Map<string, TcpProxy>();
  private readonly links = new Map<string, TcpProxy>();
  private readonly denies = new Map<string, NetworkDeny>();
  /** Per deny, what lifts its packet drops (empty where the proxies refuse instead). */
  private readonly lifts = new Map<string, (() => Promise<void>)[]>();
  private readonly backends: (workload: string) => readonly number[];
  private readonly packetDrop: PacketDrop | undefined;

  constructor(backends: (workload: string) => readonly number[], packetDrop?: PacketDrop) {
    this.backends = backends;
    this.packetDrop = packetDrop;
  }

  /** True when a deny drops packets; false when the link proxy refuses connections. */
  get drops(): boolean {
    return this.packetDrop !== undefined;
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
  async apply(deny: NetworkDeny): Promise<void> {
    if (this.denies.has(deny.name)) throw new Error(`network deny "${deny.name}" already exists`);
    const links = deny.to.map((to) => {
      const link = this.links.get(`${deny.from}->${to}`);
      if (!link) throw new Error(`no traffic path from ${deny.from} to ${to} in this stack: nothing to deny`);
      return { to, link };
    });
    this.denies.set(deny.name, deny);
    const lifts: (() => Promise<void>)[] = [];
    this.lifts.set(deny.name, lifts);
    for (const { to, link } of links) {
      if (this.packetDrop)
        lifts.push(await this.packetDrop.drop(link.port, `${deny.name} ${deny.from}->${to}`));
      else link.deny(deny.name);
    }
  }

  async remove(name: string): Promise<void> {
    const deny = this.denies.get(name);
    if (!deny) throw new Error(`no network deny named "${name}"`);
    for (const lift of this.lifts.get(name) ?? []) await lift();
    for (const to of deny.to) this.links.get(`${deny.from}->${to}`)?.allow(name);
    this.lifts.delete(name);
    this.denies.delete(name);
  }

  /** Reset the open connections of one link, as a restarted peer would (new ones are made as usual). */
  resetLink(from: string, to: string): void {
    const link = this.links.get(`${from}->${to}`);
    if (!link) throw new Error(`no traffic path from ${from} to ${to} in this stack`);
    link.resetAll();
  }

  list(): readonly string[] {
    return [...this.denies.keys()];
  }

  async close(): Promise<void> {
    for (const name of [...this.denies.keys()]) await this.remove(name);
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

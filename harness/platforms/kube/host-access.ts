/**
 * Services and pods as seen from the harness host, always on 127.0.0.1:
 * - a NodePort service: http://127.0.0.1:<nodePort> (kind maps NodePorts to the host's loopback
 *   through kind-config.yaml; the self-built cluster's kube-proxy serves them on the node itself);
 * - anything else: a loopback listener the platform owns, forwarding each new connection to a
 *   ready pod chosen at connect time (so it survives pod churn, unlike `kubectl port-forward`).
 *   The upstream is the pod IP where the host routes to pods (the self-built cluster), else the
 *   API server's port-forward (kind, where pods sit inside the node container).
 * All listeners close with close().
 */
import { readFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { PortForward, type V1Pod, type V1Service } from '@kubernetes/client-node';
import { errorMessage } from '../../core/errors.ts';
import { listenOnLoopback } from '../../core/listen.ts';
import type { Logger } from '../../core/log.ts';
import type { KubeApi } from './api.ts';
import { podReady, selectorMatches } from './pod-state.ts';

export type Upstream = 'pod-ip' | 'port-forward';

export interface HostAccessOptions {
  readonly api: KubeApi;
  readonly pods: () => readonly V1Pod[];
  readonly log: Logger;
  /** Force one upstream; default: pod IPs when reachable from here, else port-forward. */
  readonly upstream?: Upstream;
  /** Use NodePorts on 127.0.0.1 when they answer (default true). */
  readonly nodePorts?: boolean;
}

/** TCP connect within `ms`; true if something accepted. */
export function tcpReachable(host: string, port: number, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(ms, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/**
 * Whether this host has a route of its own to `ip` (not just the default route), read from
 * /proc/net/route; true where that file is unreadable. A TCP connect alone can mislead: a
 * network that accepts every outbound connection (a transparent proxy) makes kind's pod IPs,
 * which live inside the node container, look reachable.
 */
export function routedHere(ip: string, routes: readonly Route[] | undefined): boolean {
  if (routes === undefined) return true;
  const octets = ip.split('.').map(Number);
  if (octets.length !== 4) return true; // IPv6: no /proc/net/route entry to judge by
  const little = (octets[0]! | (octets[1]! << 8) | (octets[2]! << 16) | (octets[3]! << 24)) >>> 0;
  return routes.some(({ dest, mask }) => mask !== 0 && (little & mask) >>> 0 === dest);
}

/** An IPv4 route as /proc/net/route stores it (little-endian destination and mask). */
export interface Route {
  readonly dest: number;
  readonly mask: number;
}

export function readRoutes(): Route[] | undefined {
  try {
    return readFileSync('/proc/net/route', 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((f) => f.length >= 8)
      .map((f) => ({ dest: Number.parseInt(f[1]!, 16) >>> 0, mask: Number.parseInt(f[7]!, 16) >>> 0 }));
  } catch {
    return undefined;
  }
}

/** The container port a Service's targetPort names, on a given pod. */
export function resolveTargetPort(pod: V1Pod, target: number | string | undefined, fallback: number): number {
  if (typeof target === 'number') return target;
  if (target === undefined) return fallback;
  if (/^\d+$/.test(target)) return Number(target);
  for (const c of pod.spec?.containers ?? [])
    for (const p of c.ports ?? []) if (p.name === target) return p.containerPort;
  return fallback;
}

export class HostAccess {
  private readonly opts: HostAccessOptions;
  private readonly servers = new Map<string, { server: Server; url: string; sockets: Set<Socket> }>();
  private upstream: Upstream | undefined;
  private readonly services = new Map<string, string>();
  private roundRobin = 0;
  private closed = false;

  constructor(opts: HostAccessOptions) {
    this.opts = opts;
    this.upstream = opts.upstream;
  }

  /** How connections reach pods; decided once, by trying a ready pod's IP. */
  async mode(): Promise<Upstream> {
    if (this.upstream) return this.upstream;
    for (const pod of this.opts.pods().filter(podReady)) {
      const port = pod.spec?.containers[0]?.ports?.[0]?.containerPort;
      if (!pod.status?.podIP || !port) continue;
      const reachable =
        routedHere(pod.status.podIP, readRoutes()) && (await tcpReachable(pod.status.podIP, port, 1000));
      this.upstream = reachable ? 'pod-ip' : 'port-forward';
      this.opts.log.debug(`kube: pods reached through ${this.upstream}`);
      return this.upstream;
    }
    return 'port-forward'; // nothing ready to try yet; do not remember
  }

  /** Base URL of a Service from the host. */
  async serviceUrl(name: string): Promise<string> {
    const cached = this.services.get(name);
    if (cached) return cached;
    const svc: V1Service = await this.opts.api.core.readNamespacedService({
      name,
      namespace: this.opts.api.namespace,
    });
    const port = svc.spec?.ports?.[0];
    if (!port) throw new Error(`service ${name} has no ports`);
    let url: string | undefined;
    if (
      this.opts.nodePorts !== false &&
      port.nodePort &&
      (await tcpReachable('127.0.0.1', port.nodePort, 1000))
    )
      url = `http://127.0.0.1:${port.nodePort}`;
    url ??= await this.listen(`svc/${name}`, (pods) => {
      const ready = pods.filter(
        (p) =>
          podReady(p) && selectorMatches({ matchLabels: svc.spec?.selector ?? {} }, p.metadata?.labels ?? {}),
      );
      if (ready.length === 0) return undefined;
      const pod = ready[this.roundRobin++ % ready.length]!;
      return { pod, port: resolveTargetPort(pod, port.targetPort as number | string | undefined, port.port) };
    });
    this.services.set(name, url);
    return url;
  }

  /** Base URL of one pod's port from the host (pod IP, or a listener of ours). */
  async podUrl(pod: V1Pod, port: number): Promise<string> {
    const name = pod.metadata?.name ?? '?';
    if ((await this.mode()) === 'pod-ip' && pod.status?.podIP) return `http://${pod.status.podIP}:${port}`;
    return this.listen(`pod/${name}:${port}`, (pods) => {
      const live = pods.find((p) => p.metadata?.name === name);
      return live ? { pod: live, port } : undefined;
    });
  }

  /** Drop listeners of pods that no longer exist. */
  prune(existingPods: ReadonlySet<string>): void {
    for (const [key, s] of this.servers) {
      const m = /^pod\/([^:]+):/.exec(key);
      if (m && !existingPods.has(m[1]!)) this.closeOne(key, s);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const [key, s] of this.servers) this.closeOne(key, s);
  }

  private closeOne(key: string, s: { server: Server; sockets: Set<Socket> }): void {
    this.servers.delete(key);
    for (const sock of s.sockets) sock.destroy();
    s.server.close();
  }

  private async listen(
    key: string,
    pick: (pods: readonly V1Pod[]) => { pod: V1Pod; port: number } | undefined,
  ): Promise<string> {
    const existing = this.servers.get(key);
    if (existing) return existing.url;
    if (this.closed) throw new Error('host access is closed');
    const sockets = new Set<Socket>();
    const server = createServer((client) => {
      sockets.add(client);
      client.on('close', () => sockets.delete(client));
      client.on('error', () => client.destroy());
      const target = pick(this.opts.pods());
      if (!target) {
        client.destroy(); // like a Service without endpoints: the connection is refused
        return;
      }
      this.pipe(client, target.pod, target.port).catch((err: unknown) => {
        this.opts.log.debug(`kube: ${key} -> ${target.pod.metadata?.name}: ${errorMessage(err)}`);
        client.destroy();
      });
    });
    const url = `http://127.0.0.1:${await listenOnLoopback(server)}`;
    this.servers.set(key, { server, url, sockets });
    return url;
  }

  private async pipe(client: Socket, pod: V1Pod, port: number): Promise<void> {
    if ((await this.mode()) === 'pod-ip' && pod.status?.podIP) {
      const upstream = connect({ host: pod.status.podIP, port });
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.pipe(upstream).pipe(client);
      return;
    }
    const ws = await new PortForward(this.opts.api.config).portForward(
      this.opts.api.namespace,
      pod.metadata!.name!,
      [port],
      client,
      null,
      client,
    );
    const socket = typeof ws === 'function' ? ws() : ws;
    client.on('close', () => socket?.close());
  }
}

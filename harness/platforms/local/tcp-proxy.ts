/**
 * A TCP proxy on a stable loopback port that spreads connections round-robin over the
 * backends a picker returns (the ready instances), like kube-proxy over a Service's
 * endpoints. Its port is the fault point for network denies: packet-drop.ts drops it as root;
 * otherwise a denied proxy resets every open connection and every new one.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { listenOnLoopback } from '../../core/listen.ts';

export class TcpProxy {
  readonly name: string;
  private readonly backends: () => readonly number[];
  private readonly server: Server;
  private readonly open = new Set<Socket>();
  private next = 0;
  private deniedBy = new Set<string>();
  private listening?: number;

  constructor(name: string, backends: () => readonly number[]) {
    this.name = name;
    this.backends = backends;
    this.server = createServer({ noDelay: true, allowHalfOpen: true }, (client) => this.accept(client));
  }

  get port(): number {
    if (this.listening === undefined) throw new Error(`proxy ${this.name} is not listening`);
    return this.listening;
  }

  get denied(): boolean {
    return this.deniedBy.size > 0;
  }

  async listen(): Promise<number> {
    this.listening = await listenOnLoopback(this.server);
    return this.listening;
  }

  /** Cut the link under `reason` (a deny's name); open connections are reset at once. */
  deny(reason: string): void {
    this.deniedBy.add(reason);
    for (const socket of this.open) socket.resetAndDestroy();
    this.open.clear();
  }

  allow(reason: string): void {
    this.deniedBy.delete(reason);
  }

  /** Reset every open connection (the backends they led to are gone). */
  resetAll(): void {
    for (const socket of this.open) socket.resetAndDestroy();
    this.open.clear();
  }

  close(): Promise<void> {
    this.resetAll();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** A failure on one side resets the other; a clean close is passed on as FIN by pipe(). */
  private track(socket: Socket, other: Socket): void {
    this.open.add(socket);
    socket.on('error', () => {
      if (!other.destroyed) other.resetAndDestroy();
    });
    socket.on('close', () => {
      this.open.delete(socket);
      if (!other.destroyed) other.end();
    });
  }

  private accept(client: Socket): void {
    const ports = this.backends();
    if (this.denied || ports.length === 0) {
      // No endpoints, or the link is cut: the client sees a reset, not a hang.
      client.on('error', () => {});
      client.resetAndDestroy();
      return;
    }
    const port = ports[this.next++ % ports.length]!;
    const upstream = connect({ host: '127.0.0.1', port, noDelay: true, allowHalfOpen: true });
    this.track(client, upstream);
    this.track(upstream, client);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}

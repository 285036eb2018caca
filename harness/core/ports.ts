/**
 * Free ports for the local stack's listeners. They are taken below the kernel's ephemeral
 * range: a port asked from the kernel (bind to 0) comes from that range, and between our check
 * and the service's own listen() any outgoing connection on this busy loopback may take it
 * (seen as EADDRINUSE crash loops under load). Below the range only other listeners compete,
 * and a random pick checked with an exclusive bind on all addresses makes that unlikely.
 *
 * Kubernetes' NodePort range (30000-32767) is left out too: kube-proxy DNATs a connection to
 * 127.0.0.1:<nodePort> into the cluster without holding a socket, so a local service there
 * binds fine but its readiness probe talks to a pod of the cluster running on this machine.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const FALLBACK_EPHEMERAL_START = 32768;
const LOWEST = 20000;
const NODE_PORTS_START = 30000;

function ephemeralStart(): number {
  try {
    const start = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0],
    );
    return Number.isInteger(start) && start > LOWEST + 1000 ? start : FALLBACK_EPHEMERAL_START;
  } catch {
    return FALLBACK_EPHEMERAL_START;
  }
}

const canListen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    // all addresses: the fixture services listen on 0.0.0.0
    server.listen({ host: '0.0.0.0', port, exclusive: true }, () => server.close(() => resolve(true)));
  });

export async function freePort(): Promise<number> {
  const top = Math.min(ephemeralStart(), NODE_PORTS_START);
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (top - LOWEST));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port found between ${LOWEST} and ${top} after 100 tries`);
}

import type { Server } from 'node:net';

/**
 * Listen on 127.0.0.1 at a port the kernel picks; resolves to that port. For the harness's own
 * proxies and endpoints, which hold the port from the moment it is picked (services that are
 * handed a port to bind later take one from ports.ts instead).
 */
export function listenOnLoopback(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

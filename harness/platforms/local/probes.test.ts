import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { freePort } from '../../core/ports.ts';
import { probeOnce } from './probes.ts';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A fake server answering every startup packet with `reply`. */
async function answering(reply: Buffer): Promise<number> {
  const server = createServer((socket) => {
    socket.once('data', () => socket.write(reply));
    socket.on('error', () => {});
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

const pg = { type: 'postgres', user: 'u', database: 'd', periodMs: 1000 } as const;

it('postgres readiness needs AuthenticationOk, not just an accepted connection', async () => {
  const ok = Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 0]);
  const starting = Buffer.concat([
    Buffer.from([0x45, 0, 0, 0, 40]),
    Buffer.from('SFATAL\0C57P03\0Mstarting up\0\0'),
  ]);
  expect(await probeOnce(await answering(ok), pg)).toBe(true);
  expect(await probeOnce(await answering(starting), pg)).toBe('postgres does not take sessions yet');
  expect(await probeOnce(await freePort(), pg)).toBe('ECONNREFUSED');
});

it('http readiness wants 2xx/3xx; tcp readiness wants an accept; a failure says why', async () => {
  const server = createHttpServer((req, res) => res.writeHead(req.url === '/ok' ? 200 : 503).end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    expect(await probeOnce(port, { type: 'http', path: '/ok', periodMs: 1000 })).toBe(true);
    expect(await probeOnce(port, { type: 'http', path: '/down', periodMs: 1000 })).toBe(
      'GET /down: HTTP 503',
    );
    expect(await probeOnce(port, { type: 'tcp', periodMs: 1000 })).toBe(true);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
  expect(await probeOnce(await freePort(), { type: 'tcp', periodMs: 1000 })).toBe('ECONNREFUSED');
  expect(await probeOnce(await freePort(), { type: 'http', path: '/h', periodMs: 1000 })).toBe(
    'GET /h: ECONNREFUSED',
  );
});

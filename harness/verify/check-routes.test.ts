/**
 * The checks hit the target's routes, not Agent Agency's: a real HTTP server that answers only
 * on its own paths (/healthz, /healthz/<dep>, /links) passes or fails by those paths alone.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { systemClock } from '../core/clock.ts';
import { type CheckRoutes, createHttpVerifier, missingRoutes } from './checks.ts';

let server: Server;
let baseUrl: string;
const records = new Map<string, string>();
const status: Record<string, number> = { '/healthz': 200, '/healthz/redis': 503, '/healthz/disk': 200 };

beforeAll(async () => {
  server = createServer((req, res) => {
    const body: Buffer[] = [];
    req.on('data', (c: Buffer) => body.push(c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/links') {
        const id = String(records.size + 1);
        records.set(id, (JSON.parse(Buffer.concat(body).toString()) as { description: string }).description);
        res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id }));
        return;
      }
      const id = /^\/links\/(\d+)$/.exec(req.url ?? '')?.[1];
      if (id && records.has(id)) {
        res.writeHead(200).end(JSON.stringify({ id, description: records.get(id) }));
        return;
      }
      res.writeHead(status[req.url ?? ''] ?? 404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const routes: CheckRoutes = {
  health: '/healthz',
  dependencies: ['/healthz/redis', '/healthz/disk'],
  records: '/links',
};
const verifier = (checks: CheckRoutes = routes) =>
  createHttpVerifier({
    baseUrl,
    apiKey: '',
    checks: ['health', 'dependencies', 'data-integrity'],
    routes: checks,
    clock: systemClock,
    integrityRecords: 2,
  });

it("health, dependencies and data integrity use the target's routes", async () => {
  const v = verifier();
  await v.prepare();
  const round = await v.round();
  expect(round.failures).toEqual(['dependencies: GET /healthz/redis answered 503']);
  status['/healthz/redis'] = 200;
  expect((await v.round()).passed).toBe(true);
});

it('a check without its route fails naming the config field, and the CLI can say so first', async () => {
  const { records: _, ...withoutRecords } = routes;
  const round = await verifier(withoutRecords).round();
  expect(round.failures).toEqual(['data-integrity: no records were written in steady state']);
  await expect(verifier(withoutRecords).prepare()).rejects.toThrow(
    "the target's config has no checks.records route",
  );
  expect(missingRoutes(['health', 'functional', 'performance'], withoutRecords)).toEqual([
    'records',
    'functional',
    'performance',
  ]);
});

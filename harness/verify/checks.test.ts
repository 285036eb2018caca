/**
 * The data-integrity check against the real orchestrator and Postgres: records written in
 * steady state must read back with the same id, description and checksum; a record changed
 * behind the API's back (an UPDATE in Postgres) or gone fails the check, naming it, and so
 * does a check with nothing written to compare.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, createServer as createNetServer } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type TestStack } from '../../fixtures/agent-agency/testing/stack.ts';
import { loadConfig } from '../config/load.ts';
import { systemClock } from '../core/clock.ts';
import { type CheckRoutes, createHttpVerifier } from './checks.ts';

describe('data-integrity check', { timeout: 120_000 }, () => {
  let stack: TestStack;
  let db: pg.Pool;
  let routes: CheckRoutes;
  beforeAll(async () => {
    routes = (await loadConfig('fixtures/agent-agency/firedrill.config.ts')).checks;
    stack = await startStack({ councilEnv: false });
    db = new pg.Pool({ connectionString: stack.postgres.url, max: 2 });
  }, 120_000);
  afterAll(async () => {
    await db?.end();
    await stack?.stop();
  });

  const verifier = () =>
    createHttpVerifier({
      baseUrl: stack.orchestrator.url,
      apiKey: stack.apiKey,
      checks: ['data-integrity'],
      routes,
      clock: systemClock,
      integrityRecords: 3,
    });

  /** The ids of the 3 records the last verifier wrote, oldest first, as Postgres has them. */
  const integrityIds = async () =>
    (
      await db.query<{ id: string }>(
        `SELECT id FROM tasks WHERE description LIKE 'firedrill integrity record %' ORDER BY created_at DESC, id LIMIT 3`,
      )
    ).rows
      .map((r) => r.id)
      .reverse();

  it('passes when every record reads back as written', async () => {
    const v = verifier();
    await v.prepare();
    expect(await v.round()).toMatchObject({ passed: true, failures: [] });
  });

  it('fails naming the record whose description was changed in Postgres', async () => {
    const v = verifier();
    await v.prepare();
    const ids = await integrityIds();
    expect(ids).toHaveLength(3);
    await db.query(`UPDATE tasks SET description = description || ' (tampered)' WHERE id = $1`, [ids[1]]);
    const round = await v.round();
    expect(round.passed).toBe(false);
    expect(round.failures).toEqual([
      expect.stringMatching(
        new RegExp(`^data-integrity: record ${ids[1]} changed: description ".*\\(tampered\\)"`),
      ),
    ]);
  });

  it('fails naming a record that is gone', async () => {
    const v = verifier();
    await v.prepare();
    const [first] = await integrityIds();
    await db.query('DELETE FROM audit_events WHERE task_id = $1', [first]);
    await db.query('DELETE FROM tasks WHERE id = $1', [first]);
    expect((await v.round()).failures).toEqual([
      `data-integrity: record ${first} written before the fault is gone`,
    ]);
  });

  it('fails when no records were written in steady state', async () => {
    expect(await verifier().round()).toMatchObject({
      passed: false,
      failures: ['data-integrity: no records were written in steady state'],
    });
  });
});

describe('steady-state records', () => {
  it('are not written when the scenario does not check data integrity (nothing listens here)', async () => {
    const v = createHttpVerifier({
      baseUrl: 'http://127.0.0.1:1',
      apiKey: '',
      checks: ['health'],
      routes: { health: '/health', dependencies: [] },
      clock: systemClock,
    });
    await expect(v.prepare()).resolves.toBeUndefined();
  });
});

describe('a check that cannot connect', () => {
  it('says why, not only "fetch failed"', async () => {
    // a port that was just listening and is closed now: connecting is refused
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    await new Promise((r) => server.close(r));
    const round = await createHttpVerifier({
      baseUrl: `http://127.0.0.1:${port}`,
      apiKey: '',
      checks: ['health'],
      routes: { health: '/health', dependencies: [] },
      clock: systemClock,
    }).round();
    expect(round.failures).toEqual([`health: fetch failed (connect ECONNREFUSED 127.0.0.1:${port})`]);
  });
});

describe('a round its caller stops waiting for', () => {
  it('ends when the signal aborts, not when a hung API times its requests out', async () => {
    // an API that accepts and never answers, like one behind a dropped path
    const held: ServerResponse[] = [];
    const server = createServer((_req, res) => held.push(res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      const verifier = (requestTimeoutMs: number) =>
        createHttpVerifier({
          baseUrl: `http://127.0.0.1:${port}`,
          apiKey: '',
          checks: ['health', 'dependencies'],
          routes: { health: '/health', dependencies: ['/health/database'] },
          clock: systemClock,
          requestTimeoutMs,
        });
      const t0 = performance.now();
      await expect(verifier(5000).round(AbortSignal.timeout(200))).rejects.toThrow(/timeout|abort/i);
      expect(performance.now() - t0).toBeLessThan(1500);
      // without a signal the same round runs its course: both checks fail on their own timeouts
      const slow = await verifier(300).round();
      expect(slow.failures).toEqual([
        'health: timed out',
        'dependencies: The operation was aborted due to timeout',
      ]);
    } finally {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('a connection that reached something other than the service', () => {
  it('does not pin later rounds: each request connects anew, and a stranger is named', async () => {
    // What kind's NodePort did in CI: while kube-proxy still sent new connections to a pod
    // that was gone, one reached this machine's egress proxy, which answers anything with a
    // 403 and keeps the connection alive. The front here picks its upstream per connection, as
    // the NodePort's DNAT does.
    const listen = async (s: Server) => {
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      return (s.address() as AddressInfo).port;
    };
    const stranger = createServer((_req, res) => {
      res.writeHead(403, { server: 'keryx', 'content-length': '0' }).end(); // as that proxy answers
    });
    const service = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    });
    let upstream = await listen(stranger);
    const servicePort = await listen(service);
    const front = createNetServer((client) => {
      const up = connect(upstream, '127.0.0.1');
      client.pipe(up).pipe(client);
      for (const s of [client, up]) s.on('error', () => (s === up ? client : up).destroy());
    });
    const frontPort = await listen(front as unknown as Server);
    try {
      const v = createHttpVerifier({
        baseUrl: `http://127.0.0.1:${frontPort}`,
        apiKey: '',
        checks: ['health'],
        routes: { health: '/health', dependencies: [] },
        clock: systemClock,
      });
      for (let i = 0; i < 3; i++)
        expect(await v.round()).toMatchObject({
          passed: false,
          failures: ['health: GET /health answered 403 (server: keryx)'],
        });
      upstream = servicePort; // the endpoints caught up: new connections reach a live pod
      for (let i = 0; i < 3; i++) expect(await v.round()).toMatchObject({ passed: true, failures: [] });
    } finally {
      for (const s of [stranger, service]) s.closeAllConnections();
      await Promise.all(
        [stranger, service, front as unknown as Server].map((s) => new Promise((r) => s.close(r))),
      );
    }
  });
});

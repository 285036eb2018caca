import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../core/clock.ts';
import { UserError } from '../core/errors.ts';
import { customerImpactMs, type RequestSample, startLoad } from './load.ts';

const TOKEN = 'drill-token';

/** A real HTTP server with the orchestrator's routes; `mode` flips it between healthy and failing. */
function orchestratorLike() {
  const state = { mode: 'ok' as 'ok' | 'fail', authorizedTasks: 0, unauthorizedTasks: 0 };
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (state.mode === 'fail') return void res.writeHead(503).end('{"status":"unavailable"}');
      if (req.method === 'POST' && req.url === '/v1/tasks') {
        if (req.headers.authorization !== `Bearer ${TOKEN}`) {
          state.unauthorizedTasks++;
          return void res.writeHead(401).end();
        }
        state.authorizedTasks++;
        return void res.writeHead(201, { 'content-type': 'application/json' }).end('{"id":"t1"}');
      }
      if (req.method === 'GET' && (req.url === '/v1/status' || req.url === '/health')) {
        return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      }
      res.writeHead(404).end();
    });
  });
  return { server, state };
}

/** Load against `server` until its count bound, then close the server. */
async function loadAgainst(server: Server, o: Omit<Parameters<typeof startLoad>[0], 'baseUrl' | 'token'>) {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const load = startLoad({
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    token: TOKEN,
    ...o,
  });
  const summary = await load.done;
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  return { summary, samples: load.samples() };
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
};

describe('background load (against a real HTTP server)', () => {
  const { server, state } = orchestratorLike();
  let baseUrl: string;
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => (server as Server).close(r));
  });

  it('stops at the count bound and sends the whole mix, tasks with the Bearer token', async () => {
    state.mode = 'ok';
    const seen: RequestSample[] = [];
    const load = startLoad({
      baseUrl,
      token: TOKEN,
      ratePerSecond: 50,
      durationMs: 20_000,
      maxRequests: 20,
      onSample: (s) => seen.push(s),
    });
    const summary = await load.done;
    expect(summary.requests).toBe(20);
    expect(seen).toHaveLength(20);
    expect(new Set(seen.map((s) => `${s.method} ${s.route}`))).toEqual(
      new Set(['GET /v1/status', 'GET /health', 'POST /v1/tasks']),
    );
    expect(summary.errors).toBe(0);
    expect(state.authorizedTasks).toBeGreaterThan(0);
    expect(state.unauthorizedTasks).toBe(0);
    expect(seen.filter((s) => s.route === '/v1/tasks').every((s) => s.status === 201)).toBe(true);
  });

  it('ends by itself at the time bound', async () => {
    const load = startLoad({
      baseUrl,
      token: TOKEN,
      ratePerSecond: 10,
      durationMs: 1_500,
      maxRequests: 10_000,
    });
    const summary = await load.done;
    expect(summary.requests).toBeGreaterThan(0);
    expect(summary.requests).toBeLessThan(10_000);
  });

  it('reports failures while the server fails, and they make customer impact', async () => {
    state.mode = 'ok';
    const load = startLoad({
      baseUrl,
      token: TOKEN,
      ratePerSecond: 40,
      durationMs: 20_000,
      maxRequests: 5_000,
    });
    await until(() => load.samples().length >= 10);
    state.mode = 'fail';
    await until(() => load.samples().filter((s) => s.status === 503).length >= 10);
    state.mode = 'ok';
    const failedSoFar = load.samples().length;
    await until(
      () =>
        load
          .samples()
          .slice(failedSoFar)
          .filter((s) => s.status === 200).length >= 5,
    );
    const summary = await load.stop();
    expect(summary.byStatus['503']).toBeGreaterThanOrEqual(10);
    expect(summary.errors).toBe(summary.byStatus['503']);
    expect(customerImpactMs(load.samples(), { latencyThresholdMs: 2_000 })).toBeGreaterThan(0);
    expect(summary.requests).toBeLessThan(5_000);
  });

  it('against a closed port: every sample is a connection error, paced at the rate, not a busy loop', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const load = startLoad({
      baseUrl: `http://127.0.0.1:${port}`,
      token: TOKEN,
      ratePerSecond: 10,
      durationMs: 2_000,
      maxRequests: 10_000,
      connections: 2,
    });
    const summary = await load.done;
    const samples = load.samples();
    expect(samples.length).toBeGreaterThan(0);
    expect(samples.every((s) => s.status === 0 && s.error === 'ECONNREFUSED')).toBe(true);
    // 10/s for 2 s; unpaced reconnects give thousands.
    expect(summary.requests).toBeLessThan(100);
  });

  it('after an outage, answered requests are timed from their own start, not from requests lost in it', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const load = startLoad({
      baseUrl: `http://127.0.0.1:${port}`,
      token: TOKEN,
      ratePerSecond: 20,
      durationMs: 30_000,
      maxRequests: 5_000,
      connections: 2,
    });
    await until(() => load.samples().filter((s) => s.error === 'ECONNREFUSED').length >= 20);
    const late = orchestratorLike().server;
    await new Promise<void>((r) => late.listen(port, '127.0.0.1', r));
    const listeningAtMs = systemClock.now().monoMs;
    await until(() => load.samples().filter((s) => s.status === 200).length >= 10);
    await load.stop();
    late.closeAllConnections();
    await new Promise((r) => late.close(r));
    const answered = load.samples().filter((s) => s.status > 0);
    expect(answered.length).toBeGreaterThanOrEqual(10);
    // An answered request was written on a connection made after the server started listening.
    for (const s of answered) expect(s.at.monoMs - s.latencyMs).toBeGreaterThanOrEqual(listeningAtMs - 5);
  });

  it('keeps to its connections: one request at a time on each, reused (keep-alive)', async () => {
    const sockets = new Set<unknown>();
    let concurrent = 0;
    let maxConcurrent = 0;
    const counting = createServer((req, res) => {
      sockets.add(req.socket);
      maxConcurrent = Math.max(maxConcurrent, ++concurrent);
      req.resume();
      // answer slowly so requests would pile up if the load did not wait for answers
      setTimeout(() => {
        concurrent--;
        res.writeHead(200).end('{}');
      }, 30);
    });
    const { summary } = await loadAgainst(counting, {
      ratePerSecond: 200,
      durationMs: 20_000,
      maxRequests: 60,
      connections: 3,
    });
    expect(summary.requests).toBe(60);
    expect(summary.errors).toBe(0);
    expect(sockets.size).toBe(3);
    expect(maxConcurrent).toBeLessThanOrEqual(3);
  });

  it('a request without an answer within timeoutMs is a failed sample, and the load goes on', async () => {
    const silent = createServer((req) => {
      req.resume(); // never answers
    });
    const { summary, samples } = await loadAgainst(silent, {
      ratePerSecond: 10,
      durationMs: 20_000,
      maxRequests: 4,
      connections: 2,
      timeoutMs: 300,
    });
    expect(summary.requests).toBe(4);
    expect(samples.map((s) => [s.status, s.error, s.latencyMs])).toEqual(
      Array.from({ length: 4 }, () => [0, 'timeout', 300]),
    );
  });

  it('refuses a target that is neither loopback nor allowed, with one clear error', () => {
    expect(() =>
      startLoad({
        baseUrl: 'http://10.20.30.40:80',
        token: TOKEN,
        ratePerSecond: 1,
        durationMs: 1,
        maxRequests: 1,
      }),
    ).toThrow(UserError);
    expect(() =>
      startLoad({ baseUrl, token: TOKEN, ratePerSecond: 0, durationMs: 1_000, maxRequests: 1 }),
    ).toThrow(/ratePerSecond must be a positive number/);
  });
});

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.ts';
import { type MetricsServer, startMetricsServer } from './metrics-server.ts';
import { counterValue, type ProbeDetection, probeDetection } from './probes.ts';
import { ALERTS } from './types.ts';

/** A real HTTP server answering the orchestrator's health routes from a mutable state. */
function orchestratorHealth() {
  const state = { database: 200, redis: 200 };
  const server = createServer((req, res) => {
    const code =
      req.url === '/health/database'
        ? state.database
        : req.url === '/health/redis'
          ? state.redis
          : req.url === '/health'
            ? Math.max(state.database, state.redis)
            : 404;
    res.writeHead(code, { 'content-type': 'application/json' }).end('{}');
  });
  return { server, state };
}

describe('probe detection against real HTTP servers (ManualClock drives the evaluations)', () => {
  const { server, state } = orchestratorHealth();
  const registry = new Registry();
  const upstream429 = new Counter({
    name: 'council_upstream_429_total',
    help: 'test',
    registers: [registry],
  });
  let council: MetricsServer;
  let baseUrl: string;
  let restarts = 0;

  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    council = await startMetricsServer(registry);
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await council.close();
  });

  const fresh = (clock: ManualClock): ProbeDetection =>
    probeDetection({
      profile: 'fast',
      entryUrl: baseUrl,
      metricsUrl: council.url,
      statusOf: async () => ({ restarts }),
      clock,
      probeTimeoutMs: 2_000,
    });
  /** Advance one fast interval and evaluate; returns alert -> state. */
  const step = async (det: ProbeDetection, clock: ManualClock) => {
    clock.advance(1_000);
    await det.tick();
    return Object.fromEntries((await det.poll()).map((a) => [a.alert, a.state]));
  };

  it('control: a healthy system for 30 evaluations raises nothing', async () => {
    const clock = new ManualClock();
    const det = fresh(clock);
    for (let i = 0; i < 30; i++) expect(await step(det, clock)).toEqual({});
  });

  it('database answering 503: DatabaseUnreachable pending, then firing after its 3 s `for`', async () => {
    const clock = new ManualClock();
    const det = fresh(clock);
    await step(det, clock);
    state.database = 503;
    try {
      const seen = [];
      for (let i = 0; i < 5; i++) seen.push((await step(det, clock))[ALERTS.databaseDown]);
      expect(seen).toEqual(['pending', 'pending', 'pending', 'firing', 'firing']);
      const firing = (await det.poll()).find((a) => a.alert === ALERTS.databaseDown);
      expect(firing?.activeAtWallMs).toBe(clock.now().wallMs - 4_000);
      // /health answers 503 too: the health alert fires alongside, as it would in production.
      expect((await step(det, clock))[ALERTS.healthCheckFailure]).toBe('firing');
      expect((await step(det, clock))[ALERTS.redisDown]).toBeUndefined();
    } finally {
      state.database = 200;
    }
    expect((await step(det, clock))[ALERTS.databaseDown]).toBeUndefined();
  });

  it('restarts from statusOf(), 429s from the council, and fed-in traffic raise their alerts', async () => {
    const clock = new ManualClock();
    const det = fresh(clock);
    await step(det, clock);
    restarts += 2;
    upstream429.inc(3);
    for (let i = 0; i < 20; i++) {
      det.record({ route: '/v1/tasks', method: 'POST', status: 503, latencyMs: 10, at: clock.now() });
    }
    let states: Record<string, string> = {};
    for (let i = 0; i < 6; i++) states = await step(det, clock);
    expect(states[ALERTS.crashLoop]).toBe('firing');
    expect(states[ALERTS.errorRateHigh]).toBe('firing');
    expect(states[ALERTS.llmRateLimited]).toBe('firing');
  });

  it('an orchestrator that does not answer at all fires APIHealthCheckFailure', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const clock = new ManualClock();
    const det = probeDetection({ profile: 'fast', entryUrl: `http://127.0.0.1:${port}`, clock });
    let states: Record<string, string> = {};
    for (let i = 0; i < 3; i++) {
      clock.advance(1_000);
      await det.tick();
      states = Object.fromEntries((await det.poll()).map((a) => [a.alert, a.state]));
    }
    // No answer says nothing about the dependencies: only the health alert.
    expect(states).toEqual({ [ALERTS.healthCheckFailure]: 'firing' });
  });

  it('start() evaluates once before resolving and stop() ends the background loop', async () => {
    const det = probeDetection({ profile: 'fast', entryUrl: baseUrl });
    await det.start();
    expect(await det.poll()).toEqual([]);
    await det.stop();
  });
});

describe('counterValue', () => {
  it('sums every series of the metric and ignores look-alikes and comments', () => {
    const text = [
      '# HELP council_upstream_429_total x',
      '# TYPE council_upstream_429_total counter',
      'council_upstream_429_total{vendor="openai"} 3',
      'council_upstream_429_total{vendor="anthropic"} 4 1700000000000',
      'council_upstream_429_total_created 1700000000',
      'council_upstream_requests_total 99',
    ].join('\n');
    expect(counterValue(text, 'council_upstream_429_total')).toBe(7);
    expect(counterValue('council_upstream_429_total 2\n', 'council_upstream_429_total')).toBe(2);
    expect(counterValue('other 1\n', 'council_upstream_429_total')).toBeUndefined();
  });
});

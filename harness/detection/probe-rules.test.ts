import { describe, expect, it } from 'vitest';
import { type Instant, ManualClock } from '../core/clock.ts';
import type { RequestSample } from '../verify/load.ts';
import { loadProfileTiming } from './alert-source.ts';
import { evaluateProbeRules, increaseOf, type ProbeData } from './probe-rules.ts';
import { ALERTS } from './types.ts';

// The real fast profile from fixtures/monitoring/alerts.yaml: health window 5 s, error rate and
// latency 15 s, crash loop 2 restarts in 30 s, LLM 15 s; instantaneous readings stale after 5 s.
const fast = loadProfileTiming('fast');

function world() {
  const clock = new ManualClock();
  const empty = (): ProbeData => ({
    health: [],
    database: [],
    redis: [],
    traffic: [],
    restarts: [],
    upstream429: [],
  });
  const data = empty() as { -readonly [K in keyof ProbeData]: ProbeData[K][number][] };
  const at = (): Instant => clock.now();
  const request = (route: string, status: number, latencyMs = 20): RequestSample => ({
    route,
    method: 'GET',
    status,
    latencyMs,
    at: at(),
  });
  const verdict = () => evaluateProbeRules(data, fast, clock.now());
  return { clock, data, at, request, verdict };
}

describe('probe rules (fast profile)', () => {
  it('APIHealthCheckFailure: a 5xx within the window or no answer now', () => {
    const w = world();
    w.data.health.push({ at: w.at(), status: 503 });
    w.clock.advance(1_000);
    w.data.health.push({ at: w.at(), status: 200 });
    expect(w.verdict()[ALERTS.healthCheckFailure]).toBe(true);
    w.clock.advance(5_000); // the 503 left the 5 s window
    w.data.health.push({ at: w.at(), status: 200 });
    expect(w.verdict()[ALERTS.healthCheckFailure]).toBe(false);
    w.data.health.push({ at: w.at(), status: 0 });
    expect(w.verdict()[ALERTS.healthCheckFailure]).toBe(true);
  });

  it('APIErrorRateHigh: answered API requests only, ratio above 5%', () => {
    const w = world();
    for (let i = 0; i < 19; i++) w.data.traffic.push(w.request('/v1/status', 200));
    w.data.traffic.push(w.request('/v1/tasks', 503)); // 1/20 = 5%: not above
    for (let i = 0; i < 10; i++) w.data.traffic.push(w.request('/health', 503), w.request('/v1/status', 0));
    expect(w.verdict()[ALERTS.errorRateHigh]).toBe(false);
    w.data.traffic.push(w.request('/v1/tasks', 500)); // 2/21
    expect(w.verdict()[ALERTS.errorRateHigh]).toBe(true);
    w.clock.advance(15_000);
    expect(w.verdict()[ALERTS.errorRateHigh]).toBe(false);
  });

  it('APIResponseTimeDegraded: p95 of API latency above 2 s', () => {
    const w = world();
    for (let i = 0; i < 19; i++) w.data.traffic.push(w.request('/v1/status', 200, 50));
    w.data.traffic.push(w.request('/v1/status', 200, 9_000), w.request('/health', 200, 9_000));
    expect(w.verdict()[ALERTS.responseTimeDegraded]).toBe(false);
    for (let i = 0; i < 5; i++) w.data.traffic.push(w.request('/v1/tasks', 201, 3_000));
    expect(w.verdict()[ALERTS.responseTimeDegraded]).toBe(true);
  });

  it('OrchestratorCrashLooping: 2 restarts within 30 s, counting a reset as restarts', () => {
    const w = world();
    for (const value of [0, 0, 1]) {
      w.data.restarts.push({ at: w.at(), value });
      w.clock.advance(5_000);
    }
    expect(w.verdict()[ALERTS.crashLoop]).toBe(false);
    w.data.restarts.push({ at: w.at(), value: 2 });
    expect(w.verdict()[ALERTS.crashLoop]).toBe(true);
    w.clock.advance(40_000);
    w.data.restarts.push({ at: w.at(), value: 2 });
    expect(w.verdict()[ALERTS.crashLoop]).toBe(false);
    expect(increaseOf([3, 0, 2].map((value) => ({ at: w.at(), value })))).toBe(2);
  });

  it('DatabaseUnreachable / RedisUnreachable: the latest answered dependency probe says down', () => {
    const w = world();
    w.data.database.push({ at: w.at(), status: 200 });
    w.data.redis.push({ at: w.at(), status: 200 });
    expect(w.verdict()[ALERTS.databaseDown]).toBe(false);
    w.clock.advance(1_000);
    w.data.database.push({ at: w.at(), status: 503 });
    w.clock.advance(1_000);
    w.data.database.push({ at: w.at(), status: 0 }); // the orchestrator itself did not answer
    expect(w.verdict()[ALERTS.databaseDown]).toBe(true);
    expect(w.verdict()[ALERTS.redisDown]).toBe(false);
    w.clock.advance(6_000); // the last answer is stale: no evidence either way
    expect(w.verdict()[ALERTS.databaseDown]).toBe(false);
  });

  it('LLMRateLimited: the 429 counter increased within 15 s', () => {
    const w = world();
    for (const value of [5, 5, 5]) {
      w.data.upstream429.push({ at: w.at(), value });
      w.clock.advance(1_000);
    }
    expect(w.verdict()[ALERTS.llmRateLimited]).toBe(false);
    w.data.upstream429.push({ at: w.at(), value: 8 });
    expect(w.verdict()[ALERTS.llmRateLimited]).toBe(true);
  });

  it('with no evidence at all, nothing is true', () => {
    expect(Object.values(world().verdict()).some(Boolean)).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { customerImpactMs, impactEpisodes } from './impact.ts';
import type { RequestSample } from './load.ts';

const WALL0 = Date.UTC(2026, 0, 1);
/** A request that started at `startMs` (monotonic) and took `latencyMs`. */
const req = (startMs: number, latencyMs: number, status: number, route = '/v1/status'): RequestSample => ({
  route,
  method: route === '/v1/tasks' ? 'POST' : 'GET',
  status,
  latencyMs,
  at: { monoMs: startMs + latencyMs, wallMs: WALL0 + startMs + latencyMs },
});
const opts = { latencyThresholdMs: 2000 };

describe('customerImpactMs', () => {
  it('is zero when every request succeeded fast, and for no traffic', () => {
    expect(customerImpactMs([req(0, 10, 200), req(100, 1999, 201), req(200, 5, 404)], opts)).toBe(0);
    expect(customerImpactMs([], opts)).toBe(0);
  });

  it('spans a complete outage from the first failed request to the last', () => {
    const samples = [req(0, 5, 200)];
    for (let t = 1000; t <= 3000; t += 200) samples.push(req(t, 5, 0));
    samples.push(req(3200, 5, 200));
    expect(customerImpactMs(samples, opts)).toBe(2005);
  });

  it('sums separate episodes and counts a lone failure by its own duration', () => {
    const samples = [
      req(0, 100, 503),
      req(500, 10, 200),
      req(1000, 50, 500),
      req(1100, 50, 502),
      req(1200, 5, 200),
    ];
    expect(customerImpactMs(samples, opts)).toBe(100 + 150);
    expect(impactEpisodes(samples, opts).map((e) => e.requests)).toEqual([1, 2]);
  });

  it('counts successful requests slower than the threshold, and 429s, but not a 404', () => {
    const slow = [req(0, 3000, 200), req(100, 3000, 200), req(3500, 10, 200)];
    expect(customerImpactMs(slow, opts)).toBe(3100);
    expect(customerImpactMs([req(0, 2000, 200)], opts)).toBe(0);
    expect(customerImpactMs([req(0, 20, 429)], opts)).toBe(20);
    expect(customerImpactMs([req(0, 20, 404)], opts)).toBe(0);
  });

  it('does not count overlapping episodes of concurrent connections twice', () => {
    // A fails [0,1000]; B succeeds in between, which splits the run; C fails [200,1500].
    const samples = [req(0, 1000, 0), req(100, 10, 200), req(200, 1300, 0)];
    expect(customerImpactMs(samples, opts)).toBe(1500);
    expect(impactEpisodes(samples, opts)).toHaveLength(1);
  });

  it('follows each endpoint on its own: a route failing throughout is impact even while another answers', () => {
    const samples: RequestSample[] = [];
    for (let t = 0; t < 6_000; t += 100) {
      samples.push(req(t, 5, 200, '/v1/status'));
      // POST /v1/tasks fails from 1 s to 4 s; its failures interleave with good /v1/status answers.
      samples.push(req(t + 50, 5, t >= 1_000 && t < 4_000 ? 503 : 201, '/v1/tasks'));
    }
    expect(customerImpactMs(samples, opts)).toBe(3_955 - 1_050); // first failing start to last failing end
    expect(impactEpisodes(samples, opts)).toHaveLength(1);
  });

  it('does not depend on the order samples arrive in', () => {
    const samples = [
      req(1000, 50, 500),
      req(0, 100, 503),
      req(1200, 5, 200),
      req(500, 10, 200),
      req(1100, 50, 502),
    ];
    expect(customerImpactMs(samples, opts)).toBe(250);
  });
});

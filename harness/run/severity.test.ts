import { describe, expect, it } from 'vitest';
import type { RequestSample } from '../verify/load.ts';
import { classifySeverity } from './severity.ts';

/** One request a `stepMs` apart from t=0, with the given status and latency. */
const traffic = (spec: [status: number, latencyMs: number][], stepMs = 200): RequestSample[] =>
  spec.map(([status, latencyMs], i) => ({
    route: '/v1/status',
    method: 'GET',
    status,
    latencyMs,
    at: { monoMs: i * stepMs, wallMs: 1_700_000_000_000 + i * stepMs },
  }));

const times = <T>(n: number, x: T): T[] => Array.from({ length: n }, () => x);

describe('observed severity (the runbook table, measured on the drill traffic)', () => {
  it('a 5 s window where nothing got through is a complete outage: critical', () => {
    expect(
      classifySeverity(
        traffic([...times(25, [200, 5] as [number, number]), ...times(25, [0, 1000] as [number, number])]),
      ),
    ).toBe('critical');
  });
  it('failures above 5% without a dead window: high (partial degradation)', () => {
    expect(classifySeverity(traffic(times(50, null).map((_, i) => [i % 10 === 0 ? 503 : 200, 5])))).toBe(
      'high',
    );
  });
  it('a few failures: medium (intermittent)', () => {
    expect(classifySeverity(traffic(times(100, null).map((_, i) => [i === 50 ? 503 : 200, 5])))).toBe(
      'medium',
    );
  });
  it('only slow answers: low (minor performance)', () => {
    expect(classifySeverity(traffic(times(50, null).map((_, i) => [200, i === 7 ? 2500 : 5])))).toBe('low');
  });
  it('clean traffic, or none at all: none', () => {
    expect(classifySeverity(traffic(times(50, [200, 5] as [number, number])))).toBe('none');
    expect(classifySeverity([])).toBe('none');
  });
  it('429s count as failures (throttled requests did not get served)', () => {
    expect(classifySeverity(traffic(times(50, null).map((_, i) => [i % 5 === 0 ? 429 : 200, 5])))).toBe(
      'high',
    );
  });
});

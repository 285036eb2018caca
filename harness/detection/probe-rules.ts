/**
 * The fixture's alert rules, expressed over what the harness observes itself instead of over
 * scraped metrics. Each condition mirrors its PromQL counterpart in fixtures/monitoring/alerts.yaml
 * and takes the same window and thresholds from the same profile:
 *
 * - APIHealthCheckFailure: a /health probe answered 5xx within the window, or the latest
 *   probe got no answer at all (PromQL: /health 5xx rate > 0, or no orchestrator `up`).
 * - APIErrorRateHigh / APIResponseTimeDegraded: the drill's own API traffic (not /health*)
 *   completed within the window; only answered requests count, as only those reach the
 *   server's histogram and counter.
 * - OrchestratorCrashLooping: restarts counted from the platform's status within the window.
 * - DatabaseUnreachable / RedisUnreachable: the latest dependency probe answered "down".
 *   A probe that got no answer says nothing about the dependency (PromQL: gauge absent).
 * - LLMRateLimited: the council's 429 counter increased within the window.
 */
import type { Instant } from '../core/clock.ts';
import { percentile } from '../core/metrics.ts';
import type { RequestSample } from '../verify/load.ts';
import type { ProfileTiming } from './alert-source.ts';
import { ALERTS, type AlertName } from './types.ts';

/** HTTP status of a probe; 0 = no answer (refused, reset, timed out). */
export interface ProbeResult {
  readonly at: Instant;
  readonly status: number;
}

/** A reading of a monotonically increasing count (restarts, 429 responses). */
export interface CounterReading {
  readonly at: Instant;
  readonly value: number;
}

export interface ProbeData {
  readonly health: readonly ProbeResult[];
  readonly database: readonly ProbeResult[];
  readonly redis: readonly ProbeResult[];
  readonly traffic: readonly RequestSample[];
  readonly restarts: readonly CounterReading[];
  readonly upstream429: readonly CounterReading[];
}

/** Latest instantaneous readings older than this are stale, like PromQL's lookback. */
export const stalenessMs = (timing: ProfileTiming): number => Math.max(5 * timing.scrapeIntervalMs, 5_000);

const within = <T extends { at: Instant }>(xs: readonly T[], now: Instant, windowMs: number): T[] =>
  xs.filter((x) => x.at.monoMs > now.monoMs - windowMs && x.at.monoMs <= now.monoMs);

const latestFresh = <T extends { at: Instant }>(
  xs: readonly T[],
  now: Instant,
  maxAgeMs: number,
): T | undefined => {
  const last = xs.at(-1);
  return last && now.monoMs - last.at.monoMs <= maxAgeMs ? last : undefined;
};

/** Sum of increases, counting a drop as a reset (like PromQL's increase, without extrapolation). */
export function increaseOf(readings: readonly CounterReading[]): number {
  let total = 0;
  for (let i = 1; i < readings.length; i++) {
    const prev = readings[i - 1]!.value;
    const cur = readings[i]!.value;
    total += cur >= prev ? cur - prev : cur;
  }
  return total;
}

const isApiRoute = (route: string) => !route.startsWith('/health') && route !== '/metrics';

const windowOf = (timing: ProfileTiming, alert: AlertName): number => {
  const w = timing.alerts[alert].windowMs;
  if (w === undefined)
    throw new Error(`profile ${timing.profile}: ${alert} needs a window for probe evaluation`);
  return w;
};

const param = (timing: ProfileTiming, alert: AlertName, name: string): number => {
  const v = timing.alerts[alert].params[name];
  if (v === undefined) throw new Error(`profile ${timing.profile}: ${alert} has no parameter ${name}`);
  return v;
};

/** Each alert's condition at `now`. */
export function evaluateProbeRules(
  data: ProbeData,
  timing: ProfileTiming,
  now: Instant,
): Record<AlertName, boolean> {
  const stale = stalenessMs(timing);

  const healthWindow = within(data.health, now, windowOf(timing, ALERTS.healthCheckFailure));
  const latestHealth = latestFresh(data.health, now, stale);
  const healthFailing = healthWindow.some((p) => p.status >= 500) || latestHealth?.status === 0;

  const answered = (alert: AlertName) =>
    within(data.traffic, now, windowOf(timing, alert)).filter((s) => s.status > 0 && isApiRoute(s.route));
  const errorWindow = answered(ALERTS.errorRateHigh);
  const errorRatio = errorWindow.length
    ? errorWindow.filter((s) => s.status >= 500).length / errorWindow.length
    : Number.NaN;
  const latencies = answered(ALERTS.responseTimeDegraded)
    .map((s) => s.latencyMs)
    .sort((a, b) => a - b);
  const p95Ms = percentile(latencies, 95);

  const dependencyDown = (probes: readonly ProbeResult[]) => {
    const last = latestFresh(
      probes.filter((p) => p.status > 0),
      now,
      stale,
    );
    return last !== undefined && last.status >= 500;
  };

  return {
    [ALERTS.healthCheckFailure]: healthFailing,
    [ALERTS.errorRateHigh]: errorRatio > param(timing, ALERTS.errorRateHigh, 'errorRatio'),
    [ALERTS.responseTimeDegraded]:
      p95Ms !== null && p95Ms > 1000 * param(timing, ALERTS.responseTimeDegraded, 'p95Seconds'),
    [ALERTS.crashLoop]:
      increaseOf(within(data.restarts, now, windowOf(timing, ALERTS.crashLoop))) >=
      param(timing, ALERTS.crashLoop, 'minRestarts'),
    [ALERTS.databaseDown]: dependencyDown(data.database),
    [ALERTS.redisDown]: dependencyDown(data.redis),
    [ALERTS.llmRateLimited]:
      increaseOf(within(data.upstream429, now, windowOf(timing, ALERTS.llmRateLimited))) > 0,
  } as Record<AlertName, boolean>;
}

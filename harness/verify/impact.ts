/**
 * Customer impact duration (a runbook KPI): the total time the drill's own traffic saw failures
 * or latency above a threshold.
 *
 * Each endpoint (method + route) is followed on its own, because an outage is often partial:
 * POST /v1/tasks may fail throughout while GET /v1/status keeps answering. Per endpoint,
 * requests are ordered by start time and a run of consecutive bad requests (no good request to
 * that endpoint started in between) is one impact episode, from the first bad request's start
 * to the latest end among them. Episodes of all endpoints are merged where they overlap, then
 * summed. The resolution is the traffic's own: an episode can be short by up to one gap between
 * requests to that endpoint.
 */
import type { Instant } from '../core/clock.ts';

/** The outcome of one request the drill's own traffic made. */
export interface RequestSample {
  readonly route: string;
  readonly method: string;
  /** HTTP status; 0 = no answer (connection refused/reset, or timed out). */
  readonly status: number;
  readonly latencyMs: number;
  /** When the request completed or failed; it started `latencyMs` earlier. */
  readonly at: Instant;
  readonly error?: string;
}

export interface ImpactOptions {
  /** A request slower than this counts as impact even when it succeeded. */
  readonly latencyThresholdMs: number;
}

/** Bad = no answer, a 5xx, a 429 (throttled), or slower than the threshold. */
export const isImpacted = (s: RequestSample, opts: ImpactOptions): boolean =>
  s.status === 0 || s.status >= 500 || s.status === 429 || s.latencyMs > opts.latencyThresholdMs;

export interface ImpactEpisode {
  /** Monotonic ms (the samples' clock). */
  readonly startMonoMs: number;
  readonly endMonoMs: number;
  readonly startWallMs: number;
  readonly requests: number;
}

type Episode = { -readonly [K in keyof ImpactEpisode]: ImpactEpisode[K] };

/** Runs of consecutive bad requests to one endpoint. */
function episodesOf(samples: readonly RequestSample[], opts: ImpactOptions): Episode[] {
  const byStart = samples
    .map((s) => ({ s, startMono: s.at.monoMs - s.latencyMs, startWall: s.at.wallMs - s.latencyMs }))
    .sort((a, b) => a.startMono - b.startMono);
  const out: Episode[] = [];
  let open: Episode | undefined;
  for (const { s, startMono, startWall } of byStart) {
    if (!isImpacted(s, opts)) {
      open = undefined;
      continue;
    }
    if (!open) {
      open = { startMonoMs: startMono, endMonoMs: s.at.monoMs, startWallMs: startWall, requests: 0 };
      out.push(open);
    }
    open.endMonoMs = Math.max(open.endMonoMs, s.at.monoMs);
    open.requests++;
  }
  return out;
}

export function impactEpisodes(samples: readonly RequestSample[], opts: ImpactOptions): ImpactEpisode[] {
  const byEndpoint = new Map<string, RequestSample[]>();
  for (const s of samples) {
    const key = `${s.method} ${s.route}`;
    const list = byEndpoint.get(key);
    if (list) list.push(s);
    else byEndpoint.set(key, [s]);
  }
  const raw = [...byEndpoint.values()].flatMap((list) => episodesOf(list, opts));
  // Merge overlapping episodes (endpoints, concurrent connections) so no time counts twice.
  const merged: Episode[] = [];
  for (const e of raw.sort((a, b) => a.startMonoMs - b.startMonoMs)) {
    const last = merged.at(-1);
    if (last && e.startMonoMs <= last.endMonoMs) {
      last.endMonoMs = Math.max(last.endMonoMs, e.endMonoMs);
      last.requests += e.requests;
    } else merged.push({ ...e });
  }
  return merged;
}

export function customerImpactMs(samples: readonly RequestSample[], opts: ImpactOptions): number {
  return impactEpisodes(samples, opts).reduce((sum, e) => sum + (e.endMonoMs - e.startMonoMs), 0);
}

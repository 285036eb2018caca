/**
 * Customer impact duration (a runbook KPI): the total time the drill's own traffic saw failures
 * or latency above a threshold.
 *
 * Requests are ordered by start time. A run of consecutive bad requests (no good request started
 * in between) is one impact episode, from the first bad request's start to the latest end among
 * them. Episodes are merged where they overlap (concurrent connections), then summed. The
 * resolution is the traffic's own: an episode can be short by up to one gap between requests.
 */
import type { RequestSample } from './load.ts';

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

export function impactEpisodes(samples: readonly RequestSample[], opts: ImpactOptions): ImpactEpisode[] {
  const byStart = samples
    .map((s) => ({ s, startMono: s.at.monoMs - s.latencyMs, startWall: s.at.wallMs - s.latencyMs }))
    .sort((a, b) => a.startMono - b.startMono);
  const raw: { startMonoMs: number; endMonoMs: number; startWallMs: number; requests: number }[] = [];
  let open: (typeof raw)[number] | undefined;
  for (const { s, startMono, startWall } of byStart) {
    if (!isImpacted(s, opts)) {
      open = undefined;
      continue;
    }
    if (!open) {
      open = { startMonoMs: startMono, endMonoMs: s.at.monoMs, startWallMs: startWall, requests: 0 };
      raw.push(open);
    }
    open.endMonoMs = Math.max(open.endMonoMs, s.at.monoMs);
    open.requests++;
  }
  // Merge overlapping episodes so concurrent requests are not counted twice.
  const merged: ImpactEpisode[] = [];
  for (const e of raw.sort((a, b) => a.startMonoMs - b.startMonoMs)) {
    const last = merged.at(-1);
    if (last && e.startMonoMs <= last.endMonoMs) {
      merged[merged.length - 1] = {
        ...last,
        endMonoMs: Math.max(last.endMonoMs, e.endMonoMs),
        requests: last.requests + e.requests,
      };
    } else merged.push(e);
  }
  return merged;
}

export function customerImpactMs(samples: readonly RequestSample[], opts: ImpactOptions): number {
  return impactEpisodes(samples, opts).reduce((sum, e) => sum + (e.endMonoMs - e.startMonoMs), 0);
}

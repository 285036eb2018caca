/**
 * Poll a detection source until one of the wanted alerts reaches a state. The run loop's detect
 * phase, the tests and the benchmark all wait this way, so they measure the same thing: the
 * first poll that saw the alert `firing`.
 */
import { type Clock, type Instant, systemClock } from '../core/clock.ts';
import type { AlertObservation, DetectionSource } from './types.ts';

export interface WatchOptions {
  /** Any of these alert names counts. */
  readonly alerts: readonly string[];
  /** 'firing' (default) is "detected"; 'pending' is "the condition became true". */
  readonly state?: 'pending' | 'firing';
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  readonly clock?: Clock;
  readonly signal?: AbortSignal;
  /** Every poll result, e.g. to write `alert` events to the timeline. */
  readonly onPoll?: (alerts: readonly AlertObservation[], at: Instant) => void;
}

export interface Seen {
  readonly observation: AlertObservation;
  /** When the poll that saw it returned. */
  readonly at: Instant;
}

const reaches = (obs: AlertObservation, state: 'pending' | 'firing') =>
  state === 'pending' ? true : obs.state === 'firing';

/** Resolves with the first matching observation, or undefined on timeout/abort. Poll errors propagate. */
export async function waitForAlert(source: DetectionSource, opts: WatchOptions): Promise<Seen | undefined> {
  const clock = opts.clock ?? systemClock;
  const state = opts.state ?? 'firing';
  const intervalMs = opts.intervalMs ?? 250;
  const start = clock.now();
  const maxPolls = Math.ceil(opts.timeoutMs / intervalMs) + 1;
  for (let i = 0; i < maxPolls && !opts.signal?.aborted; i++) {
    const alerts = await source.poll();
    const at = clock.now();
    opts.onPoll?.(alerts, at);
    const hit = alerts.find((a) => opts.alerts.includes(a.alert) && reaches(a, state));
    if (hit) return { observation: hit, at };
    if (at.monoMs - start.monoMs >= opts.timeoutMs) return undefined;
    await clock.sleep(intervalMs, opts.signal);
  }
  return undefined;
}

/**
 * The one clock of the harness. Every timeline event carries both readings:
 * wall time for humans and reports, monotonic time for durations (immune to NTP steps).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';

export interface Instant {
  /** Epoch milliseconds (wall clock). */
  readonly wallMs: number;
  /** Milliseconds on a monotonic clock; only differences are meaningful. */
  readonly monoMs: number;
}

export interface Clock {
  now(): Instant;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => ({ wallMs: Date.now(), monoMs: performance.now() }),
  sleep: async (ms, signal) => {
    try {
      await delay(ms, undefined, { signal });
    } catch (err) {
      if (signal?.aborted) return;
      throw err;
    }
  },
};

/** Duration between two instants, from the monotonic readings. */
export const elapsedMs = (from: Instant, to: Instant): number => to.monoMs - from.monoMs;

export const isoOf = (at: Instant): string => new Date(at.wallMs).toISOString();

/**
 * A clock driven by the test: sleep() advances time instantly, so run-loop tests
 * exercise minute-long timeouts in milliseconds of real time.
 */
export class ManualClock implements Clock {
  private mono = 0;
  private wall: number;
  constructor(startWallMs = Date.UTC(2026, 0, 1)) {
    this.wall = startWallMs;
  }
  now(): Instant {
    return { wallMs: this.wall, monoMs: this.mono };
  }
  advance(ms: number): void {
    this.mono += ms;
    this.wall += ms;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return;
    this.advance(ms);
    await Promise.resolve();
  }
}

/**
 * Watches verification rounds from injection on and marks `recovered` exactly as defined:
 * the start of the first window of N consecutive passing rounds, counted only after the
 * system was seen failing (a fault that never showed is not a recovery).
 */
import type { Clock, Instant } from '../core/clock.ts';
import type { VerificationRound, Verifier } from './checks.ts';

export interface RecoveryWatch {
  /** Resolves with the window start once recovered; never rejects. */
  readonly recovered: Promise<Instant>;
  readonly recoveredAt: () => Instant | undefined;
  readonly sawFailure: () => boolean;
  /** Whether the most recent round passed (a cheap health postcondition). */
  readonly lastPassed: () => boolean | undefined;
  stop(): void;
}

export function watchRecovery(
  verifier: Verifier,
  opts: {
    clock: Clock;
    consecutivePasses: number;
    intervalMs: number;
    onRound?: (round: VerificationRound) => void;
  },
): RecoveryWatch {
  const abort = new AbortController();
  let sawFailure = false;
  let windowStart: Instant | undefined;
  let streak = 0;
  let recoveredAt: Instant | undefined;
  let lastPassed: boolean | undefined;
  let resolve!: (at: Instant) => void;
  const recovered = new Promise<Instant>((r) => {
    resolve = r;
  });

  (async () => {
    while (!abort.signal.aborted && !recoveredAt) {
      const round = await verifier.round(abort.signal);
      if (abort.signal.aborted) break;
      opts.onRound?.(round);
      lastPassed = round.passed;
      if (!round.passed) {
        sawFailure = true;
        streak = 0;
        windowStart = undefined;
      } else if (sawFailure) {
        windowStart ??= round.startedAt;
        streak++;
        if (streak >= opts.consecutivePasses) {
          recoveredAt = windowStart;
          resolve(windowStart);
          break;
        }
      }
      await opts.clock.sleep(opts.intervalMs, abort.signal);
    }
  })();

  return {
    recovered,
    recoveredAt: () => recoveredAt,
    sawFailure: () => sawFailure,
    lastPassed: () => lastPassed,
    stop: () => abort.abort(),
  };
}

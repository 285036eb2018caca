/**
 * Watches verification rounds from injection on and marks `recovered` exactly as defined:
 * the start of the first window of N consecutive passing rounds (consecutive in the order they
 * started, one interval apart), counted only after the system was seen failing (a fault that
 * never showed is not a recovery).
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

  const judge = (round: VerificationRound): void => {
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
      }
    }
  };

  // A round starts every interval whether or not the one before has finished, and rounds are
  // judged in the order they started: a slow round (a task waiting out a rate limit's back-off)
  // does not push the next one back, so N passes are confirmed (N-1) intervals and one round
  // after the window starts, not N rounds end to end. At most N rounds run at once.
  (async () => {
    const running: Promise<VerificationRound>[] = [];
    let nextStartMs = opts.clock.now().monoMs;
    while (!abort.signal.aborted && !recoveredAt) {
      if (running.length < opts.consecutivePasses && opts.clock.now().monoMs >= nextStartMs) {
        const startedAt = opts.clock.now();
        running.push(
          verifier.round(abort.signal).catch((err: unknown) => ({
            passed: false,
            failures: [err instanceof Error ? err.message : String(err)],
            startedAt,
          })),
        );
        nextStartMs = opts.clock.now().monoMs + opts.intervalMs;
      }
      const nap = new AbortController();
      const napMs = Math.max(0, nextStartMs - opts.clock.now().monoMs);
      const oldestDone = await Promise.race([
        ...(running.length ? [running[0]!.then(() => true)] : []),
        ...(running.length < opts.consecutivePasses
          ? [opts.clock.sleep(napMs, AbortSignal.any([abort.signal, nap.signal])).then(() => false)]
          : []),
      ]).catch(() => false);
      nap.abort();
      if (abort.signal.aborted) break;
      if (oldestDone) judge(await running.shift()!);
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

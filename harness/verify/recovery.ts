/**
 * Watches verification rounds from injection on and marks `recovered` exactly as defined:
 * the start of the first window of N consecutive passing rounds (consecutive in the order they
 * started, one interval apart), counted only after the system was seen failing (a fault that
 * never showed is not a recovery).
 *
 * It is also the drill's one source of health: a runbook step's postcondition takes the next
 * round that starts after it asks (`nextRound`) instead of running a round of its own. A round
 * creates a task, so private rounds were extra load the drill put on the system it measures
 * (during a rate limit they queued behind the backlog and lengthened it), and they were not on
 * the timeline. Rounds go on after recovery while a step waits for one.
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
  /**
   * The first round that starts after this call, once judged. Before recovery rounds keep their
   * interval (a waiting step never pulls one forward: that would shorten the recovery window);
   * after it, a round starts for a waiting step as soon as the interval since the last allows.
   * Rejects when `signal` aborts or the watch is stopped.
   */
  readonly nextRound: (signal?: AbortSignal) => Promise<VerificationRound>;
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

  /** A step waiting for a round: the next round to start answers every waiter present then. */
  interface Waiter {
    readonly resolve: (round: VerificationRound) => void;
    readonly reject: (reason: unknown) => void;
  }
  const waiters = new Set<Waiter>();
  /** Rounds started and not yet judged, oldest first, each with the waiters it will answer. */
  const running: { round: Promise<VerificationRound>; answers: Waiter[] }[] = [];

  const judge = (round: VerificationRound, answers: readonly Waiter[]): void => {
    opts.onRound?.(round);
    lastPassed = round.passed;
    for (const w of answers) w.resolve(round);
    if (!round.passed) {
      sawFailure = true;
      streak = 0;
      windowStart = undefined;
    } else if (sawFailure && !recoveredAt) {
      windowStart ??= round.startedAt;
      streak++;
      if (streak >= opts.consecutivePasses) {
        recoveredAt = windowStart;
        resolve(windowStart);
      }
    }
  };

  // Before recovery rounds always start; after it, only for a step waiting for one. The loop
  // runs on while a round it started still owes a step its answer.
  const due = () => !recoveredAt || waiters.size > 0;
  const wanted = () => due() || running.some((r) => r.answers.length > 0);
  let nextStartMs = opts.clock.now().monoMs;
  let looping = false;
  /** Ends the loop's wait early: a step started waiting while the loop waited for a round only. */
  let wake = (): void => {};

  // A round starts every interval whether or not the one before has finished, and rounds are
  // judged in the order they started: a slow round (a task waiting out a rate limit's back-off)
  // does not push the next one back, so N passes are confirmed (N-1) intervals and one round
  // after the window starts, not N rounds end to end. At most N rounds run at once.
  const loop = async () => {
    looping = true;
    while (!abort.signal.aborted && wanted()) {
      const canStart = due();
      if (canStart && running.length < opts.consecutivePasses && opts.clock.now().monoMs >= nextStartMs) {
        const startedAt = opts.clock.now();
        const answers = [...waiters];
        waiters.clear();
        running.push({
          round: verifier.round(abort.signal).catch((err: unknown) => ({
            passed: false,
            failures: [err instanceof Error ? err.message : String(err)],
            startedAt,
          })),
          answers,
        });
        nextStartMs = opts.clock.now().monoMs + opts.intervalMs;
      }
      const nap = new AbortController();
      const napMs = Math.max(0, nextStartMs - opts.clock.now().monoMs);
      const oldestDone = await Promise.race([
        ...(running.length ? [running[0]!.round.then(() => true)] : []),
        ...(canStart && running.length < opts.consecutivePasses
          ? [opts.clock.sleep(napMs, AbortSignal.any([abort.signal, nap.signal])).then(() => false)]
          : []),
        new Promise<false>((r) => {
          wake = () => r(false);
        }),
      ]).catch(() => false);
      nap.abort();
      if (abort.signal.aborted) break;
      if (oldestDone) {
        const { round, answers } = running.shift()!;
        judge(await round, answers);
      }
    }
    // Recovered and nobody waits: rounds still out answer no one, and a round judged much later
    // would land on the timeline at the wrong moment.
    running.length = 0;
    looping = false;
  };
  void loop();

  const nextRound = (signal?: AbortSignal): Promise<VerificationRound> => {
    if (abort.signal.aborted) return Promise.reject(new Error('recovery watch stopped'));
    if (signal?.aborted) return Promise.reject(signal.reason);
    // A promise settles once: a waiter aborted here and later answered by its round stays rejected.
    return new Promise<VerificationRound>((resolveRound, rejectRound) => {
      const onAbort = () => {
        waiters.delete(w);
        rejectRound(signal?.reason);
      };
      const w: Waiter = {
        resolve: (round) => {
          signal?.removeEventListener('abort', onAbort);
          resolveRound(round);
        },
        reject: rejectRound,
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      waiters.add(w);
      if (looping) wake();
      else void loop(); // recovered and idle until now
    });
  };

  return {
    recovered,
    recoveredAt: () => recoveredAt,
    sawFailure: () => sawFailure,
    lastPassed: () => lastPassed,
    nextRound,
    stop: () => {
      abort.abort();
      const stopped = new Error('recovery watch stopped');
      for (const w of [...waiters, ...running.flatMap((r) => r.answers)]) w.reject(stopped);
      waiters.clear();
    },
  };
}

import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.ts';
import type { VerificationRound, Verifier } from './checks.ts';
import { watchRecovery } from './recovery.ts';

const settle = async (until: () => boolean) => {
  for (let i = 0; i < 200 && !until(); i++) await new Promise((r) => setImmediate(r));
};

describe('watchRecovery', () => {
  it('starts a round each interval while slow ones run, at most N at once, and judges them in start order', async () => {
    const clock = new ManualClock();
    const release: (() => void)[] = [];
    const starts: number[] = [];
    const verifier: Verifier = {
      prepare: async () => {},
      round: () => {
        const startedAt = clock.now();
        starts.push(startedAt.monoMs);
        if (starts.length === 1) return Promise.resolve({ passed: false, failures: ['down'], startedAt });
        // every later round passes, but only when the test lets it finish (a task in back-off)
        return new Promise<VerificationRound>((r) =>
          release.push(() => r({ passed: true, failures: [], startedAt })),
        );
      },
    };
    const watch = watchRecovery(verifier, { clock, consecutivePasses: 3, intervalMs: 1000 });
    await settle(() => starts.length >= 4);
    await settle(() => false); // would a fifth start while three are out? it must not
    expect(starts).toHaveLength(4);
    expect(watch.recoveredAt()).toBeUndefined();
    for (const r of release.splice(0)) r();
    const at = await watch.recovered;
    // the window starts with the first passing round, one interval after the failing one
    expect(at.monoMs).toBe(starts[1]);
    expect(starts[2]! - starts[1]!).toBe(1000);
    expect(watch.sawFailure()).toBe(true);
    watch.stop();
  });
});

describe('watchRecovery: nextRound, the health a runbook step waits for', () => {
  /** Rounds that finish only when the test says, passed or not. */
  const heldRounds = (clock: ManualClock) => {
    const starts: number[] = [];
    const finish: ((passed: boolean) => void)[] = [];
    const verifier: Verifier = {
      prepare: async () => {},
      round: () => {
        const startedAt = clock.now();
        starts.push(startedAt.monoMs);
        return new Promise<VerificationRound>((r) =>
          finish.push((passed) => r({ passed, failures: passed ? [] : ['down'], startedAt })),
        );
      },
    };
    return { verifier, starts, finish };
  };

  it('answers with the first round that starts after the ask, on the timeline, at the watch’s pace; after recovery a round starts only for a waiting step', async () => {
    const clock = new ManualClock();
    const { verifier, starts, finish } = heldRounds(clock);
    const judged: VerificationRound[] = [];
    const watch = watchRecovery(verifier, {
      clock,
      consecutivePasses: 3,
      intervalMs: 1000,
      onRound: (r) => judged.push(r),
    });
    await settle(() => starts.length >= 1);
    finish[0]!(false); // the fault shows
    await settle(() => starts.length >= 4); // three rounds out: the watch waits for the oldest
    const askedAt = clock.now().monoMs;
    let first: VerificationRound | undefined;
    void watch.nextRound().then((r) => {
      first = r;
    });
    for (const f of finish.slice(1, 4)) f(true); // rounds that started before the ask
    expect((await watch.recovered).monoMs).toBe(starts[1]);
    await settle(() => finish.length >= 5);
    finish[4]!(false);
    await settle(() => first !== undefined);
    expect(first!.startedAt.monoMs).toBe(starts[4]);
    expect(starts[4]).toBeGreaterThan(askedAt); // not one of the rounds already out when it asked
    expect(first!.passed).toBe(false);
    expect(judged.at(-1)).toBe(first); // the step's round is on the timeline like the others

    // recovered, nobody waiting: no new round starts; a step that asks gets one
    await settle(() => false);
    const before = starts.length;
    const second = watch.nextRound();
    await settle(() => starts.length > before);
    await settle(() => false); // the watch now waits for that round alone
    // a step that asks while that round is still out gets its own next round, without waiting for it
    const third = watch.nextRound();
    await settle(() => starts.length > before + 1);
    for (const f of finish.slice(5)) f(true);
    const [r2, r3] = await Promise.all([second, third]);
    expect(r2.startedAt.monoMs).toBe(starts[before]);
    expect(r3.startedAt.monoMs).toBe(starts[before + 1]);
    expect(r2.passed && r3.passed).toBe(true);
    await settle(() => false);
    expect(starts).toHaveLength(before + 2);
    // one interval apart throughout: a waiting step never pulled a round forward
    expect(starts.slice(1).every((s, i) => s - starts[i]! >= 1000)).toBe(true);
    watch.stop();
  });

  it('gives up on an aborted ask and on a stopped watch, and refuses asks after stop', async () => {
    const clock = new ManualClock();
    const { verifier, starts } = heldRounds(clock);
    const watch = watchRecovery(verifier, { clock, consecutivePasses: 3, intervalMs: 1000 });
    await settle(() => starts.length >= 3);
    const step = new AbortController();
    const aborted = watch.nextRound(step.signal);
    step.abort(new Error('step deadline'));
    await expect(aborted).rejects.toThrow('step deadline');
    const pending = watch.nextRound();
    watch.stop();
    await expect(pending).rejects.toThrow('recovery watch stopped');
    await expect(watch.nextRound()).rejects.toThrow('recovery watch stopped');
  });
});

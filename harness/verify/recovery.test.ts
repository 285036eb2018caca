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

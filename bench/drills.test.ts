import { describe, expect, it } from 'vitest';
import { ManualClock } from '../harness/core/clock.ts';
import { isBusyRefusal, retryWhileBusy } from './drills.ts';

const BUSY =
  'firedrill: error: namespace agent-agency is busy: drill 2026-11-27T18-09-38-378Z-llm-rate-limit-421bba runs there since 2026-11-27T18:09:39.427Z; wait for it';

describe('busy targets', () => {
  it("recognises the kube lock's refusal and nothing else", () => {
    expect(isBusyRefusal(BUSY)).toBe(true);
    expect(isBusyRefusal('firedrill: error: unknown scenario "x"')).toBe(false);
    expect(isBusyRefusal(undefined)).toBe(false);
  });

  const opts = (budgetMs: number, clock = new ManualClock()) => ({
    budgetMs,
    clock,
    signal: new AbortController().signal,
    progress: () => {},
  });

  it('retries a busy refusal after a wait and returns the first free result', async () => {
    const results = [BUSY, BUSY, 'done'];
    const clock = new ManualClock();
    const out = await retryWhileBusy(
      async () => results.shift()!,
      (r) => typeof r === 'string' && isBusyRefusal(r),
      opts(60_000, clock),
    );
    expect(out).toBe('done');
    expect(clock.now().monoMs).toBe(30_000);
  });

  it('gives up when the budget is spent and hands back the refusal', async () => {
    let attempts = 0;
    await expect(
      retryWhileBusy(
        async () => {
          attempts++;
          throw new Error(BUSY);
        },
        (r) => r instanceof Error && isBusyRefusal(r.message),
        opts(30_000),
      ),
    ).rejects.toThrow(/is busy/);
    expect(attempts).toBe(3);
  });

  it('does not retry other failures', async () => {
    let attempts = 0;
    await expect(
      retryWhileBusy(
        async () => {
          attempts++;
          throw new Error('preflight failed');
        },
        (r) => r instanceof Error && isBusyRefusal(r.message),
        opts(600_000),
      ),
    ).rejects.toThrow('preflight failed');
    expect(attempts).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';
import type { Instant } from './clock.ts';
import { deriveMetrics, deriveOutcome, distribution, percentile } from './metrics.ts';
import type { Stamped, TimelineEvent } from './timeline.ts';

const at = (monoMs: number): Instant => ({ monoMs, wallMs: 1_700_000_000_000 + monoMs });
const ev = (e: TimelineEvent, ms: number) => ({ ...e, at: at(ms) }) as Stamped;

describe('metrics', () => {
  const injected = ev({ type: 'injected', fault: 'x' }, 1000);
  const detected = ev({ type: 'detected', alert: 'A', source: 'probes' }, 4000);
  const started = ev({ type: 'remediation.started' }, 5000);
  const recovered = ev({ type: 'recovered' }, 9000);

  it('derives MTTD, MTTR and time-to-remediate from monotonic stamps', () => {
    expect(deriveMetrics([injected, detected, started, recovered])).toEqual({
      mttdMs: 3000,
      mttrMs: 8000,
      timeToRemediateMs: 5000,
    });
    expect(deriveMetrics([injected])).toEqual({ mttdMs: null, mttrMs: null, timeToRemediateMs: null });
  });

  it('MTTD to the page: the first expected page after injection; null when watched and none came', () => {
    const paging = ev({ type: 'paging' }, 500);
    const page = (alert: string, expected: boolean, ms: number) =>
      ev({ type: 'paged', alert, expected, receiver: 'pager' }, ms);
    const events = [
      paging,
      page('A', false, 900),
      injected,
      detected,
      page('B', false, 4200),
      page('A', true, 5500),
    ];
    expect(deriveMetrics(events).mttdPageMs).toBe(4500);
    expect(deriveMetrics([paging, injected, detected]).mttdPageMs).toBeNull();
    expect(deriveMetrics([injected, detected, page('A', true, 5500)])).not.toHaveProperty('mttdPageMs');
  });

  it('derives exactly one outcome', () => {
    const extra = ev({ type: 'step.start', stepId: 'e', title: 'e', extra: true }, 6000);
    expect(deriveOutcome([injected, detected, started, recovered], { aborted: false })).toBe(
      'resolved-by-runbook',
    );
    expect(deriveOutcome([injected, detected, started, extra, recovered], { aborted: false })).toBe(
      'resolved-with-extra-steps',
    );
    expect(deriveOutcome([injected, detected, recovered], { aborted: false })).toBe('self-healed');
    expect(
      deriveOutcome([injected, detected, ev({ type: 'recovered' }, 4500), started], { aborted: false }),
    ).toBe('self-healed');
    expect(deriveOutcome([injected, detected, started], { aborted: false })).toBe('unresolved');
    expect(deriveOutcome([injected, started, recovered], { aborted: false })).toBe('not-detected');
    expect(deriveOutcome([injected, detected, started, recovered], { aborted: true })).toBe('aborted');
    expect(deriveOutcome([], { aborted: false })).toBe('aborted');
  });

  it('computes percentiles by linear interpolation and full distributions', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([10], 95)).toBe(10);
    expect(percentile([], 50)).toBeNull();
    const d = distribution([5, 1, null, 3, 2, 4]);
    expect(d).toEqual({ n: 5, mean: 3, p50: 3, p95: 4.8, min: 1, max: 5 });
    expect(distribution([]).n).toBe(0);
  });
});

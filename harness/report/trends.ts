/**
 * Trends over the review period, one point per calendar week (weeks start Monday 00:00 UTC),
 * so a regression that builds up over the quarter is visible, not averaged away.
 */
import type { Outcome } from '../core/metrics.ts';
import type { RunRecord } from './record.ts';
import { controlFired, judgedTime, runKind } from './verdict.ts';

const WEEK_MS = 7 * 86_400_000;

export interface WeekPoint {
  /** Monday 00:00 UTC of the week, epoch ms. */
  readonly weekStartMs: number;
  readonly faultRuns: number;
  readonly mttdMeanMs: number | null;
  readonly mttrMeanMs: number | null;
  /** resolved-by-runbook / fault runs with a verdict, this week. */
  readonly accuracy: number | null;
  /** Control runs this week in which something fired, and how many control runs there were. */
  readonly falsePositives: number;
  readonly controlRuns: number;
  readonly outcomes: Readonly<Partial<Record<Outcome, number>>>;
}

/** The time a target is judged on (the production projection on fast windows), if any. */
const judged = (r: RunRecord, metric: 'mttd' | 'mttr'): number[] => {
  const ms = judgedTime(r, metric).ms;
  return ms === null ? [] : [ms];
};

/** Monday 00:00 UTC of the week containing `ms`. */
export function weekStart(ms: number): number {
  const d = new Date(ms);
  const midnight = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  const sinceMonday = (d.getUTCDay() + 6) % 7;
  return midnight - sinceMonday * 86_400_000;
}

/** "2026-01-05": the Monday a week starts on. */
export const weekLabel = (weekStartMs: number): string => new Date(weekStartMs).toISOString().slice(0, 10);

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : null);

/** One point per week from the week of `sinceMs` to the week of `now`, empty weeks included. */
export function weeklyTrend(
  records: readonly RunRecord[],
  range: { sinceMs: number; now: number },
): WeekPoint[] {
  const points: WeekPoint[] = [];
  for (let w = weekStart(range.sinceMs); w <= range.now; w += WEEK_MS) {
    const week = records.filter((r) => {
      const at = Date.parse(r.startedAt);
      return at >= w && at < w + WEEK_MS;
    });
    const fault = week.filter((r) => runKind(r) === 'fault');
    const verdict = fault.filter((r) => r.outcome !== 'aborted');
    const control = week.filter((r) => runKind(r) === 'control' && r.outcome !== 'aborted');
    const outcomes: Partial<Record<Outcome, number>> = {};
    for (const r of fault) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    points.push({
      weekStartMs: w,
      faultRuns: fault.length,
      mttdMeanMs: mean(fault.flatMap((r) => judged(r, 'mttd'))),
      mttrMeanMs: mean(fault.flatMap((r) => judged(r, 'mttr'))),
      accuracy: verdict.length
        ? verdict.filter((r) => r.outcome === 'resolved-by-runbook').length / verdict.length
        : null,
      falsePositives: control.filter(controlFired).length,
      controlRuns: control.length,
      outcomes,
    });
  }
  return points;
}

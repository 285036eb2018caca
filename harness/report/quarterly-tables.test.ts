import { describe, expect, it } from 'vitest';
import { aggregate } from './quarterly.ts';
import { collapseEmptyWeeks } from './quarterly-tables.ts';
import { syntheticRecord } from './testing/synthetic.ts';
import type { WeekPoint } from './trends.ts';

const DAY = 86_400_000;
const WEEK = 7 * DAY;
const week = (i: number, runs: number): WeekPoint => ({
  weekStartMs: i * WEEK,
  faultRuns: runs,
  mttdMeanMs: null,
  mttrMeanMs: null,
  accuracy: null,
  falsePositives: 0,
  controlRuns: 0,
  outcomes: runs ? { 'resolved-by-runbook': runs } : {},
});

describe('collapseEmptyWeeks()', () => {
  it('keeps weeks with runs and folds each stretch of empty weeks into one entry', () => {
    const weeks = [week(0, 2), week(1, 0), week(2, 0), week(3, 0), week(4, 1), week(5, 0)];
    expect(collapseEmptyWeeks(weeks)).toEqual([
      weeks[0],
      { emptyWeeks: 3, fromMs: 1 * WEEK, toMs: 3 * WEEK },
      weeks[4],
      { emptyWeeks: 1, fromMs: 5 * WEEK, toMs: 5 * WEEK },
    ]);
  });
});

describe('aggregate() by platform', () => {
  it('gives each scenario a row per platform when the range has drills on more than one', () => {
    const start = Date.parse('2026-03-02T00:00:00Z');
    const local = syntheticRecord({ runId: 'l', startedAtMs: start, outcome: 'resolved-by-runbook' });
    const kube = {
      ...syntheticRecord({ runId: 'k', startedAtMs: start + 1000, outcome: 'unresolved' }),
      platform: 'kube' as const,
    };
    const opts = { now: start + DAY, sinceMs: start - DAY };
    expect(aggregate([local], opts).scenarios.map((s) => s.scenario)).toEqual(['db-outage']);
    const both = aggregate([local, kube], opts).scenarios;
    expect(both.map((s) => [s.scenario, s.faultRuns])).toEqual([
      ['db-outage (kube)', 1],
      ['db-outage (memory)', 1],
    ]);
  });
});

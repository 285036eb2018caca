import { describe, expect, it } from 'vitest';
import { aggregate, FALSE_POSITIVE_TARGET, kpiRows, NO_TARGET } from './quarterly.ts';
import { at, fixedHistory, RANGE } from './testing/fixed-history.ts';
import { syntheticRecord } from './testing/synthetic.ts';
import { syntheticHistory } from './testing/synthetic-history.ts';
import { weekStart } from './trends.ts';

const S = 1000;

describe('aggregate() on the hand-computed history', () => {
  const q = aggregate(fixedHistory(), RANGE);
  const db = q.scenarios.find((s) => s.scenario === 'db-outage')!;
  const crash = q.scenarios.find((s) => s.scenario === 'crash-loop')!;
  const control = q.scenarios.find((s) => s.scenario === 'control')!;

  it('counts runs in range only, and splits fault, aborted and control runs', () => {
    // db-0 is before the range; db-1..db-8 are in it (db-7 aborted).
    expect(q.records).toBe(8 + 2 + 5);
    expect(db).toMatchObject({ runs: 8, faultRuns: 8, aborted: 1, verdictRuns: 7, controlRuns: 0 });
    expect(control).toMatchObject({ runs: 5, faultRuns: 0, controlRuns: 5 });
    expect(q.scenarios.map((s) => s.scenario)).toEqual(['crash-loop', 'db-outage', 'control']);
  });

  it('computes MTTD and MTTR n, mean, p50, p95 over the runs that have them', () => {
    // MTTD of db-1,2,3,4,6,8 sorted: 30 60 120 180 240 600 s. mean 1230/6 = 205.
    // p50 rank 2.5 -> 120 + 0.5*60 = 150; p95 rank 4.75 -> 240 + 0.75*360 = 510.
    expect(db.mttd).toEqual({ n: 6, mean: 205 * S, p50: 150 * S, p95: 510 * S, min: 30 * S, max: 600 * S });
    // MTTR of db-1,2,4,6,8 sorted: 90 300 600 900 1200 s. mean 3090/5 = 618.
    // p50 = 600; p95 rank 3.8 -> 900 + 0.8*300 = 1140.
    expect(db.mttr).toEqual({ n: 5, mean: 618 * S, p50: 600 * S, p95: 1140 * S, min: 90 * S, max: 1200 * S });
    expect(db.targets).toEqual({ mttdMs: 300 * S, mttrMs: 1800 * S });
    expect(db.mttdMet).toBe(true);
    expect(db.mttrMet).toBe(true);
    // db-3 (unresolved) and db-5 (not detected) have a verdict but no MTTR.
    expect(db.withoutMttr).toBe(2);
  });

  it('computes detection rate, runbook accuracy and escalation rate over fault runs with a verdict', () => {
    expect(db.detectionRate).toEqual({ num: 6, den: 7, value: 6 / 7 });
    // resolved-by-runbook: db-1, db-2, db-6.
    expect(db.runbookAccuracy).toEqual({ num: 3, den: 7, value: 3 / 7 });
    // escalated: db-3, db-6.
    expect(db.escalationRate).toEqual({ num: 2, den: 7, value: 2 / 7 });
    expect(db.outcomes).toEqual({
      'resolved-by-runbook': 3,
      'resolved-with-extra-steps': 1,
      'self-healed': 1,
      unresolved: 1,
      'not-detected': 1,
      aborted: 1,
    });
  });

  it('computes recurrence within 30 days, using history before the range', () => {
    // Failures in range: db-3 (Jan 7), db-4 (Jan 12), db-5 (Jan 13), db-8 (Mar 1).
    // db-3 follows db-0 (Dec 20, 18 days); db-4 follows db-3; db-5 follows db-4;
    // db-8 is 47 days after db-5. -> 3 of 4.
    expect(db.recurrenceRate).toEqual({ num: 3, den: 4, value: 0.75 });
    // cl-1 is near db-outage failures but is crash-loop's first failure.
    expect(crash.recurrenceRate).toEqual({ num: 0, den: 1, value: 0 });
    expect(q.overall.recurrenceRate).toEqual({ num: 3, den: 5, value: 0.6 });
  });

  it('computes the false-positive rate and per-alert counts from control runs', () => {
    expect(control.falsePositiveRate).toEqual({ num: 2, den: 5, value: 0.4 });
    expect(control.falsePositiveAlerts).toEqual({ APIErrorRateHigh: 2, APIResponseTimeDegraded: 1 });
    expect(q.overall.falsePositiveRate).toEqual({ num: 2, den: 5, value: 0.4 });
    expect(db.falsePositiveRate.den).toBe(0);
    expect(db.unexpectedAlerts).toEqual({ RedisUnreachable: 1 });
  });

  it('totals customer impact over every run in range', () => {
    // 300 + 600 + 1800 + 900 + 120 + 1200 + 90 (db-7 aborted: none)
    expect(db.customerImpactMs).toBe(5010 * S);
    expect(q.overall.customerImpactMs).toBe((5010 + 600 + 400) * S);
  });

  it('pools the overall row across scenarios', () => {
    expect(q.overall.verdictRuns).toBe(9);
    expect(q.overall.runbookAccuracy).toEqual({ num: 4, den: 9, value: 4 / 9 });
    expect(q.overall.mttd.n).toBe(8);
  });

  it('builds weekly trends from Monday to Monday, empty weeks included', () => {
    // 2026-01-01 is a Thursday: the first week starts Monday 2025-12-29; the last is 2026-03-30.
    expect(weekStart(at('2026-01-01T12:00:00Z'))).toBe(at('2025-12-29T00:00:00Z'));
    expect(db.weekly).toHaveLength(14);
    const jan5 = db.weekly.find((w) => w.weekStartMs === at('2026-01-05T00:00:00Z'))!;
    // db-1, db-2, db-3, db-7: MTTD 60,120,180 -> 120; MTTR 300,600 -> 450; accuracy 2 of 3 with a verdict.
    expect(jan5).toMatchObject({ faultRuns: 4, mttdMeanMs: 120 * S, mttrMeanMs: 450 * S, accuracy: 2 / 3 });
    const jan12 = db.weekly.find((w) => w.weekStartMs === at('2026-01-12T00:00:00Z'))!;
    expect(jan12).toMatchObject({ faultRuns: 2, mttdMeanMs: 240 * S, mttrMeanMs: 900 * S, accuracy: 0 });
    expect(db.weekly[0]).toMatchObject({ faultRuns: 0, mttdMeanMs: null, accuracy: null });
    const overallJan5 = q.overall.weekly.find((w) => w.weekStartMs === at('2026-01-05T00:00:00Z'))!;
    expect(overallJan5).toMatchObject({ falsePositives: 2, controlRuns: 5 });
  });

  it('lists runbook findings with line numbers and how often', () => {
    const failed = q.findings.find(
      (f) => f.kind === 'failed' && f.line === 160 && f.scenarios.includes('db-outage'),
    )!;
    // L160 ran in db-1,2,3,4,6 and failed in db-3 only.
    expect(failed).toMatchObject({ runs: 1, ranIn: 5, section: 'Scenario 2: Database Connection Issues' });
    const missing = q.findings.find((f) => f.kind === 'missing')!;
    expect(missing).toMatchObject({ runs: 1, line: undefined, scenarios: ['db-outage'] });
  });

  it('puts every runbook KPI next to its target', () => {
    const rows = kpiRows(q);
    const byName = (prefix: string) => rows.find((r) => r.kpi.startsWith(prefix))!;
    expect(rows.map((r) => r.kpi.split(' (')[0])).toEqual([
      'MTTR',
      'MTTD',
      'False-positive rate',
      'Customer impact duration',
      'Runbook accuracy',
      'Escalation rate',
      'Recurrence rate',
      'Post-mortem quality',
    ]);
    expect(rows.some((r) => r.kpi.startsWith('MTTD to page'))).toBe(false); // no run watched a page
    expect(byName('MTTR').target).toBe('< 30m 00s');
    expect(byName('MTTD').target).toBe('< 5m 00s');
    expect(byName('False-positive rate')).toMatchObject({
      target: '< 5%',
      measured: '40.0% (2/5)',
      met: false,
    });
    expect(FALSE_POSITIVE_TARGET).toBe(0.05);
    for (const k of ['Runbook accuracy', 'Escalation rate', 'Recurrence rate'])
      expect(byName(k).target).toBe(NO_TARGET);
    expect(byName('Runbook accuracy').measured).toBe('44.4% (4/9)');
    expect(byName('Customer impact').measured).toBe('100.2 min total');
  });
});

describe('aggregate() data warnings', () => {
  it('flags numbers that cannot be right and drills that left something behind', () => {
    const early = syntheticRecord({
      runId: 'early',
      startedAtMs: at('2026-01-05T02:00:00Z'),
      outcome: 'resolved-by-runbook',
      mttdMs: -651,
    });
    const leaky = {
      ...syntheticRecord({
        runId: 'leaky',
        startedAtMs: at('2026-01-06T02:00:00Z'),
        outcome: 'resolved-by-runbook',
      }),
      restore: { ok: false, reverted: [], errors: ['network policy deny-db still present'] },
    };
    const q = aggregate([early, leaky, ...fixedHistory()], RANGE);
    expect(q.dataWarnings).toEqual([
      'early (db-outage): MTTD -651 ms: detected before the injection was confirmed; kept as recorded',
      'leaky (db-outage): restore incomplete: network policy deny-db still present',
    ]);
    expect(aggregate(fixedHistory(), RANGE).dataWarnings).toEqual([]);
  });
});

describe('aggregate() with pages from an Alertmanager', () => {
  it('adds MTTD to page as a KPI over the runs that watched one', () => {
    const paged = (runId: string, day: string, mttdPageMs: number | null) => {
      const r = syntheticRecord({
        runId,
        startedAtMs: at(day),
        outcome: 'resolved-by-runbook',
        mttdMs: 60 * S,
      });
      return { ...r, metrics: { ...r.metrics, mttdPageMs } };
    };
    const q = aggregate(
      [
        paged('p1', '2026-01-07T02:00:00Z', 90 * S),
        paged('p2', '2026-01-08T02:00:00Z', 400 * S),
        ...fixedHistory(),
      ],
      RANGE,
    );
    expect(q.overall.mttdPage).toMatchObject({ n: 2, mean: 245 * S });
    expect(kpiRows(q).find((r) => r.kpi.startsWith('MTTD to page'))).toMatchObject({
      target: '< 5m 00s',
      measured: expect.stringContaining('mean 4m 05s'),
      met: true,
    });
  });
});

describe('aggregate() names the runbooks under review', () => {
  it('lists each runbook file the runs in range verified, with runs and distinct versions', () => {
    const shared = '/srv/shared/api-outage-runbook.md';
    const withRunbook = (runId: string, day: string, file: string, sha256?: string) => {
      const r = syntheticRecord({ runId, startedAtMs: at(day), outcome: 'resolved-by-runbook' });
      return { ...r, runbook: { ...r.runbook, file, ...(sha256 ? { sha256 } : {}) } };
    };
    const q = aggregate(
      [
        withRunbook('before', '2025-12-01T02:00:00Z', '/old/runbook.md', 'a'), // history only
        withRunbook('s1', '2026-01-05T02:00:00Z', shared, 'v1'),
        withRunbook('s2', '2026-02-05T02:00:00Z', shared, 'v2'),
        ...fixedHistory(),
      ],
      RANGE,
    );
    expect(q.runbooks).toEqual([
      { file: 'fixtures/runbook/agent-agency-outage.md', runs: 15, versions: 0 },
      { file: shared, runs: 2, versions: 2 },
    ]);
  });
});

describe('aggregate() on a generated quarter', () => {
  const start = at('2026-01-05T00:00:00Z');
  const history = syntheticHistory({ startMs: start });
  const q = aggregate(history, { sinceMs: start, now: start + 91 * 86_400_000 });

  it('covers every outcome, control runs with and without false positives, and repeats', () => {
    expect(Object.values(q.overall.outcomes).every((n) => n > 0)).toBe(true);
    expect(q.overall.falsePositiveRate.num).toBeGreaterThan(0);
    expect(q.overall.falsePositiveRate.num).toBeLessThan(q.overall.falsePositiveRate.den);
    expect(q.overall.counterfactualRuns).toBe(1);
    expect(q.records).toBe(history.length);
  });

  it('keeps every ratio consistent with its counts', () => {
    for (const s of q.scenarios) {
      expect(s.verdictRuns + s.aborted).toBe(s.faultRuns);
      const sum = Object.values(s.outcomes).reduce((a, b) => a + b, 0);
      expect(sum).toBe(s.faultRuns);
      expect(s.runbookAccuracy.num).toBe(s.outcomes['resolved-by-runbook']);
      expect(s.weekly.reduce((a, w) => a + w.faultRuns, 0)).toBe(s.faultRuns);
    }
  });

  it('shows the MTTR regression that the generator builds into resource-exhaustion', () => {
    const weeks = q.scenarios
      .find((s) => s.scenario === 'resource-exhaustion')!
      .weekly.filter((w) => w.mttrMeanMs !== null);
    const firstHalf = weeks.slice(0, Math.floor(weeks.length / 2)).map((w) => w.mttrMeanMs!);
    const secondHalf = weeks.slice(Math.floor(weeks.length / 2)).map((w) => w.mttrMeanMs!);
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(avg(secondHalf)).toBeGreaterThan(avg(firstHalf));
  });
});

import { describe, expect, it } from 'vitest';
import { syntheticRecord } from '../harness/report/testing/synthetic.ts';
import type { PlatformFloors, ScenarioFloors, WallFloorTerms } from './floors.ts';
import { formatSeries, type SeriesBenchResult, seriesDrills, seriesFloorMs } from './series.ts';

const terms = (over: Partial<WallFloorTerms>): WallFloorTerms => ({
  processStartMs: 40,
  stackUpMs: 2000,
  detectionStartMs: 3000,
  steadyStateMs: 2000,
  detectionMs: 2000,
  restartMs: 150,
  recoveryWindowMs: 2000,
  stackDownMs: 300,
  ...over,
});

const floorsOf = (t: WallFloorTerms): ScenarioFloors => ({
  detection: {
    alert: 'APIHealthCheckFailure',
    source: 'prometheus',
    minMs: t.detectionMs,
    maxMs: t.detectionMs + 2000,
    scrapeMs: 1000,
    evaluationMs: 1000,
    forMs: t.detectionMs,
  },
  restartMs: t.restartMs,
  mttrMs: t.detectionMs + t.restartMs,
  wallMs: Object.values(t).reduce((a, b) => a + b, 0),
  wallTerms: t,
});

describe('seriesFloorMs', () => {
  it('counts start-up and stack down once, and each drill its steady state, detection, restart and recovery window', () => {
    const a = floorsOf(terms({}));
    const b = floorsOf(terms({ detectionMs: 5000, restartMs: 0, detectionStartMs: 9999, stackUpMs: 9999 }));
    // 40 + 2000 + 3000 (the first drill's start-up) + (2000+2000+150+2000) + (2000+5000+0+2000) + 300
    expect(seriesFloorMs([a, b])).toBe(5040 + 6150 + 9000 + 300);
    // two single drills would each pay start-up and stack down
    expect(seriesFloorMs([a, b])).toBeLessThan(a.wallMs + b.wallMs);
    expect(seriesFloorMs([])).toBe(0);
  });
});

describe('seriesDrills', () => {
  it('takes each drill span from its record and the gap before it as the baseline check', () => {
    const t0 = 1_800_000_000_000;
    const first = syntheticRecord({
      scenario: 'crash-loop',
      startedAtMs: t0,
      outcome: 'resolved-by-runbook',
      mttdMs: 4000,
      mttrMs: 5000,
    });
    const second = syntheticRecord({
      scenario: 'db-outage',
      startedAtMs: Date.parse(first.finishedAt) + 1500,
      outcome: 'unresolved',
      mttdMs: 3000,
    });
    const f = floorsOf(terms({}));
    const rows = seriesDrills([first, second], () => f);
    expect(rows.map((r) => r.scenario)).toEqual(['crash-loop', 'db-outage']);
    expect(rows[0]!.baselineMs).toBeNull();
    expect(rows[1]!.baselineMs).toBe(1500);
    expect(rows[0]!.spanMs).toBe(Date.parse(first.finishedAt) - t0);
    expect(rows.map((r) => r.mttrMs)).toEqual([first.metrics.mttrMs, null]);
    expect(rows[1]!.outcome).toBe('unresolved');
    expect(rows[0]!.phasesMs['steady-state']).toBeGreaterThan(0);
  });
});

describe('formatSeries', () => {
  const platform: PlatformFloors = {
    platform: 'local',
    processStartMs: 40,
    stackUpMs: 2000,
    stackDownMs: 300,
    prometheusStartMs: 6000,
    restart: {},
  };
  const result = (wallMs: number, error?: string): SeriesBenchResult => ({
    platform: 'local',
    floors: platform,
    wallMs,
    exitCode: 0,
    firstStartMs: 2500,
    teardownMs: 900,
    drills: [],
    floorMs: 38_000,
    peakRssMb: 130,
    loadAverage1mAtStart: 1,
    ...(error ? { error } : {}),
  });

  it('says whether the invocation met the goal, next to its floor', () => {
    expect(formatSeries(result(66_700)).at(-1)).toMatch(
      /<= 45 s: NO \(66\.7 s, 1\.48× the goal; the floor alone is 38\.0 s\)/,
    );
    expect(formatSeries(result(44_000)).at(-1)).toMatch(/<= 45 s: yes/);
  });

  it('never reads as met when drills are missing, and says why', () => {
    const lines = formatSeries(result(20_000, '3 of 5 drills left a record: killed'));
    expect(lines.join('\n')).toMatch(/<= 45 s: NO/);
    expect(lines.at(-1)).toMatch(/!!! 3 of 5 drills/);
  });
});

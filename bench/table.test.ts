import { describe, expect, it } from 'vitest';
import type { DrillMeasurement } from './drill-run.ts';
import type { PlatformFloors, ScenarioFloors } from './floors.ts';
import {
  checkGoals,
  formatDrillTable,
  formatFloorRatios,
  formatGoalSummary,
  formatPhaseTable,
  type PlatformReport,
  renderTable,
} from './table.ts';

const measurement = (over: Partial<DrillMeasurement>): DrillMeasurement => ({
  scenario: 'db-outage',
  platform: 'local',
  iteration: 1,
  exitCode: 0,
  signal: null,
  wallMs: 18_000,
  setupMs: 5000,
  teardownMs: 800,
  phasesMs: {},
  split: { processStartMs: 600, stackUpMs: 3000, restoreMs: 900, reportsMs: 700 },
  peakRssMb: 120,
  polledPeakRssMb: 118,
  reportPeakRssMb: 100,
  cpuUserS: 3.5,
  cpuSystemS: 0.75,
  ...over,
});

const floors: ScenarioFloors = {
  detection: {
    alert: 'APIHealthCheckFailure',
    source: 'prometheus',
    minMs: 2000,
    maxMs: 4000,
    scrapeMs: 1000,
    evaluationMs: 1000,
    forMs: 2000,
  },
  restartWorkload: 'agent-agency-postgres',
  restartMs: 700,
  mttrMs: 2700,
  wallMs: 11_340,
  wallTerms: {
    processStartMs: 40,
    stackUpMs: 4000,
    detectionStartMs: 0,
    steadyStateMs: 2000,
    detectionMs: 2000,
    restartMs: 700,
    recoveryWindowMs: 2000,
    stackDownMs: 600,
  },
};
const platformFloors: PlatformFloors = {
  platform: 'local',
  processStartMs: 40,
  stackUpMs: 4000,
  stackDownMs: 600,
  prometheusStartMs: null,
  restart: {},
};

describe('goals', () => {
  it('wall within 20 s on local (inclusive) and RSS strictly under 150 MB', () => {
    expect(checkGoals(measurement({ wallMs: 20_000, peakRssMb: 149.9 }))).toEqual({
      wall: true,
      rss: true,
      ratio: null, // no record, no MTTR
    });
    expect(checkGoals(measurement({ wallMs: 20_001, peakRssMb: 150 }))).toMatchObject({
      wall: false,
      rss: false,
    });
    // the process that renders the reports is the harness too
    expect(checkGoals(measurement({ peakRssMb: 120, reportPeakRssMb: 150 }))).toMatchObject({ rss: false });
    expect(checkGoals(measurement({ peakRssMb: 120, reportPeakRssMb: null }))).toMatchObject({ rss: true });
  });

  it('kube: wall within 45 s and RSS under 190 MB (client-node), no ratio; an unmeasured RSS is not judged', () => {
    expect(checkGoals(measurement({ platform: 'kube', wallMs: 90_000, peakRssMb: null }))).toEqual({
      wall: false,
      rss: null,
      ratio: null,
    });
    const mttr = { metrics: { mttrMs: 5000 } } as DrillMeasurement['record'];
    expect(
      checkGoals(measurement({ platform: 'kube', wallMs: 45_000, peakRssMb: 189.9, record: mttr })),
    ).toEqual({ wall: true, rss: true, ratio: null });
    expect(checkGoals(measurement({ platform: 'kube', peakRssMb: 190 }))).toMatchObject({ rss: false });
  });

  it('wall/MTTR within 2.0 on local, inclusive', () => {
    const withMttr = (wallMs: number) =>
      measurement({ wallMs, record: { metrics: { mttrMs: 5000 } } as DrillMeasurement['record'] });
    expect(checkGoals(withMttr(10_000)).ratio).toBe(true);
    expect(checkGoals(withMttr(10_001)).ratio).toBe(false);
  });

  it('counts runs that met each goal', () => {
    const report: PlatformReport = {
      platform: 'local',
      floors: platformFloors,
      runs: [
        { measurement: measurement({ wallMs: 19_000, peakRssMb: 200 }), floors },
        { measurement: measurement({ wallMs: 25_000, peakRssMb: 100 }), floors },
      ],
    };
    expect(formatGoalSummary(report)).toBe(
      'goals on local: wall <= 20 s: 1/2 runs; wall/MTTR <= 2: 0/0 runs (median —); harness peak RSS < 150 MB (drill process and report process each): 1/2 runs',
    );
  });
});

describe('floor ratios', () => {
  it('says, per scenario, what wall/MTTR would be with every term at its floor', () => {
    const llm = { ...floors, mttrMs: 10_000, wallMs: 18_000 };
    const report: PlatformReport = {
      platform: 'local',
      floors: platformFloors,
      runs: [
        { measurement: measurement({}), floors },
        { measurement: measurement({ iteration: 2 }), floors },
        { measurement: measurement({ scenario: 'llm-rate-limit' }), floors: llm },
      ],
    };
    // 11 340 / 2 700 = 4.2: no speed-up can bring db-outage within 2.0 on these windows
    expect(formatFloorRatios(report)).toBe(
      '  wall/MTTR with every term at its floor: db-outage 4.20, llm-rate-limit 1.80 (1/2 within 2)',
    );
    expect(formatFloorRatios({ ...report, platform: 'kube' })).toBeUndefined();
  });
});

describe('drill table', () => {
  it('puts each figure next to its floor', () => {
    const [header, rule, row] = formatDrillTable({
      platform: 'local',
      floors: platformFloors,
      runs: [{ measurement: measurement({}), floors }],
    });
    expect(header).toMatch(/^scenario\s+#\s+outcome\s+wall s \(floor\)/);
    expect(rule).toMatch(/^-+ {2}-/);
    // no record: MTTD/MTTR unknown, floors still shown
    expect(row).toMatch(
      /db-outage\s+1\s+failed \(exit 0\)\s+18\.0 \(11\.3\)\s+— \(2\.0–4\.0\)\s+— \(2\.7\)\s+120\s+100\s+4\.3\s+yes\s+yes/,
    );
  });

  it('splits the wall time in order, MTTD next to its floor, and wall/MTTR', () => {
    const m = measurement({
      phasesMs: { 'steady-state': 2500, remediate: 1200, verify: 2100 },
      record: {
        metrics: { mttdMs: 3100, mttrMs: 6000 },
        detectionSource: 'prometheus',
      } as DrillMeasurement['record'],
    });
    const [header, , row] = formatPhaseTable({
      platform: 'local',
      floors: platformFloors,
      runs: [{ measurement: m, floors }],
    });
    expect(header).toMatch(
      /^scenario\s+#\s+start\s+stack up\s+steady\s+MTTD \(floor\)\s+remediate\s+verify\s+restore\s+reports\s+wall\s+wall\/MTTR/,
    );
    expect(row).toMatch(
      /db-outage\s+1\s+0\.6\s+3\.0\s+2\.5\s+3\.1 \(2\.0–4\.0\)\s+1\.2\s+2\.1\s+0\.9\s+0\.7\s+18\.0\s+3\.00\s+prometheus/,
    );
  });

  it('pads columns to the widest cell', () => {
    expect(
      renderTable(
        ['a', 'n'],
        [
          ['long name', '1'],
          ['b', '1234'],
        ],
      ),
    ).toEqual(['a             n', '---------  ----', 'long name     1', 'b          1234']);
  });
});

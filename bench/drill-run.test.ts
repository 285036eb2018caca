import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { syntheticRecord } from '../harness/report/testing/synthetic.ts';
import { type ChildUsage, parseRecordOutput, phaseDurations, wallSplit } from './drill-run.ts';

const at = (monoMs: number) => ({ wallMs: 1_800_000_000_000 + monoMs, monoMs });

describe('phaseDurations', () => {
  it('takes each phase from its start to its end on the monotonic clock', () => {
    const d = phaseDurations([
      { type: 'phase.start', phase: 'steady-state', at: at(100) },
      { type: 'phase.end', phase: 'steady-state', ok: true, at: at(2600) },
      { type: 'phase.start', phase: 'detect', at: at(2700) },
      { type: 'injected', fault: 'x', at: at(2650) },
      { type: 'phase.end', phase: 'detect', ok: true, at: at(6200) },
      { type: 'phase.start', phase: 'restore', at: at(9000) },
    ]);
    expect(d).toEqual({ 'steady-state': 2500, detect: 3500 });
  });
});

describe('wallSplit', () => {
  const spawned = at(0).wallMs;
  const record = {
    startedAt: new Date(spawned + 4000).toISOString(),
    timeline: [
      { type: 'phase.start', phase: 'steady-state', at: at(4100) },
      { type: 'phase.start', phase: 'restore', at: at(12_000) },
    ],
  };
  const lines = [
    ['warning: something', 300],
    ['db-outage #2   0.0s  preflight: waiting for platform checks', 900],
    ['db-outage #2   0.1s  preflight: waiting for the local stack to come up', 1000],
    ['db-outage: resolved by the runbook  detection: prometheus  restored', 13_500],
  ] as const;

  it('cuts at the first progress line, the drill start, the restore phase and the summary line', () => {
    expect(wallSplit(lines, record, spawned, 14_000)).toEqual({
      processStartMs: 900,
      stackUpMs: 3100,
      restoreMs: 1500,
      reportsMs: 500,
    });
  });

  it('leaves what it did not see unknown', () => {
    expect(wallSplit([lines[0]], undefined, spawned, 2000)).toEqual({
      processStartMs: null,
      stackUpMs: null,
      restoreMs: null,
      reportsMs: null,
    });
  });
});

describe('parseRecordOutput', () => {
  it('returns the one record pnpm scenario --json prints', () => {
    const r = syntheticRecord({
      scenario: 'db-outage',
      startedAtMs: at(0).wallMs,
      outcome: 'resolved-by-runbook',
    });
    expect(parseRecordOutput(JSON.stringify([r], null, 2)).scenario.name).toBe('db-outage');
  });

  it('names what it got instead', () => {
    expect(() => parseRecordOutput('report: reports/latest.md\n')).toThrow(/no JSON run record.*report:/);
    expect(() => parseRecordOutput('[]')).toThrow(/expected one run record, got 0/);
    expect(() => parseRecordOutput('[{"version": 1}]')).toThrow();
  });
});

describe('drill-child', () => {
  const child = resolve(import.meta.dirname, 'drill-child.ts');

  it('runs the scenario CLI and reports its own resource usage as it exits', () => {
    const dir = mkdtempSync(join(tmpdir(), 'firedrill-bench-test-'));
    try {
      const file = join(dir, 'usage.json');
      const res = spawnSync(process.execPath, [child, '--list'], {
        env: { ...process.env, FIREDRILL_BENCH_USAGE_FILE: file },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(res.status).toBe(0);
      expect(res.stdout).toMatch(/^db-outage\s/m);
      const usage = JSON.parse(readFileSync(file, 'utf8')) as ChildUsage;
      expect(usage.maxRssKb).toBeGreaterThan(10_000);
      expect(usage.userCpuUs + usage.systemCpuUs).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to run without a usage file to write', () => {
    const env = { ...process.env };
    delete env['FIREDRILL_BENCH_USAGE_FILE'];
    const res = spawnSync(process.execPath, [child, '--list'], { env, encoding: 'utf8', timeout: 60_000 });
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/FIREDRILL_BENCH_USAGE_FILE/);
  });
});

import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.ts';
import { Timeline } from '../core/timeline.ts';
import { runRecordSchema } from '../report/record.ts';
import { dbOutageScenario } from '../testing/scenarios.ts';
import type { RequestSample } from '../verify/load.ts';
import { incidentFacts, type RunFacts, recordOf } from './record-of.ts';

const scenario = dbOutageScenario({ targets: { mttdMs: 60_000, mttrMs: 300_000 } });

/** A timeline written by hand, one event every `gapMs`, and the facts of a plain drill around it. */
function drill(gapMs = 1000) {
  const clock = new ManualClock();
  const tl = new Timeline(clock);
  const startedAt = clock.now();
  const at = (type: Parameters<Timeline['add']>[0]) => {
    clock.advance(gapMs);
    return tl.add(type);
  };
  const facts = (over: Partial<RunFacts> = {}): RunFacts => ({
    runId: 'run-1',
    scenario,
    mode: 'drill',
    platform: 'local',
    detectionSource: 'probes',
    runbook: { file: 'runbook.md', section: 'database', hostMap: {} },
    startedAt,
    finishedAt: clock.now(),
    steps: [],
    alertsFired: [],
    samples: [],
    limitations: [],
    ...over,
  });
  return { clock, tl, at, facts };
}

const sample = (monoMs: number, status: number): RequestSample => ({
  route: '/status',
  method: 'GET',
  status,
  latencyMs: 5,
  at: { monoMs, wallMs: monoMs },
});

describe('recordOf', () => {
  it('derives outcome, MTTD, MTTR and a clean restore from the timeline alone', () => {
    const { tl, at, facts } = drill();
    at({ type: 'injected', fault: 'db down' });
    at({ type: 'detected', alert: 'DatabaseUnreachable', source: 'probes' });
    at({ type: 'remediation.started' });
    at({ type: 'recovered' });
    at({ type: 'reverted', what: 'db down', ok: true });
    const r = recordOf(tl.events(), facts());
    expect(runRecordSchema.parse(r)).toEqual(r);
    expect(r.outcome).toBe('resolved-by-runbook');
    expect(r.metrics).toMatchObject({ mttdMs: 1000, mttrMs: 3000, timeToRemediateMs: 2000 });
    expect(r.targetsMet).toBe(true);
    expect(r.restore).toEqual({ ok: true, reverted: ['db down'], errors: [] });
    expect(r.timeline.map((e) => e.type)).toEqual([
      'injected',
      'detected',
      'remediation.started',
      'recovered',
      'reverted',
    ]);
  });

  it('reads a failed revert and a restore phase that failed as a failed restore', () => {
    const { tl, at, facts } = drill();
    at({ type: 'injected', fault: 'db down' });
    at({ type: 'reverted', what: 'db down', ok: false, error: 'pod gone' });
    at({ type: 'phase.end', phase: 'restore', ok: false, error: 'phase restore timed out after 5 ms' });
    const r = recordOf(tl.events(), facts());
    expect(r.restore).toEqual({
      ok: false,
      reverted: [],
      errors: ['db down: pod gone', 'phase restore timed out after 5 ms'],
    });
    expect(r.outcome).toBe('not-detected');
  });

  it('an abort reason makes the run aborted, with no customer impact measured before injection', () => {
    const { tl, at, facts } = drill();
    at({ type: 'phase.end', phase: 'steady-state', ok: false, error: 'timed out' });
    const r = recordOf(tl.events(), facts({ abortReason: 'timed out', samples: [sample(500, 500)] }));
    expect(r).toMatchObject({
      outcome: 'aborted',
      abortReason: 'timed out',
      targetsMet: false,
      escalated: false,
    });
    expect(r.metrics.customerImpactMs).toBeNull();
    expect(r.load).toEqual({ requests: 1, errors: 1, p95Ms: 5 });
  });

  it('a control run meets its target when nothing fired, and misses it when anything did', () => {
    const { tl, at, facts } = drill();
    at({ type: 'injected', fault: 'no fault (control run)' });
    const quiet = recordOf(tl.events(), facts({ mode: 'control' }));
    expect(quiet).toMatchObject({ control: true, outcome: 'not-detected', targetsMet: true });
    const fired = [{ alert: 'HighErrorRate', expected: false, firstAtWallMs: 1 }];
    expect(recordOf(tl.events(), facts({ mode: 'control', alertsFired: fired })).targetsMet).toBe(false);
  });

  it('escalates on what the verification rounds saw during the incident, not before it', () => {
    const { tl, at, facts } = drill();
    at({ type: 'verify.round', passed: false, failures: ['data-integrity: record r1 is gone'] });
    at({ type: 'injected', fault: 'db down' });
    at({ type: 'detected', alert: 'DatabaseUnreachable', source: 'probes' });
    at({
      type: 'verify.round',
      passed: false,
      failures: ['dependencies: GET /health/database answered 503'],
    });
    at({ type: 'recovered' });
    const r = recordOf(tl.events(), facts({ dependencyKinds: { database: ['database'], external: [] } }));
    expect(r.outcome).toBe('self-healed');
    expect(r.escalationReasons).toContain('production database issue: database failed during the incident');
    expect(r.escalationReasons.join()).not.toMatch(/data loss/);
    expect(r.escalations.map((e) => e.trigger)).toEqual(['database']);
  });

  it('misses the targets when MTTD is not under the runbook target the plan resolved', () => {
    const { tl, at, facts } = drill(60_000);
    at({ type: 'injected', fault: 'db down' });
    at({ type: 'detected', alert: 'DatabaseUnreachable', source: 'probes' });
    at({ type: 'remediation.started' });
    at({ type: 'recovered' });
    const source = { mttd: 'runbook', mttr: 'runbook' } as const;
    const r = recordOf(tl.events(), facts());
    expect(r.targetsMet).toBe(false); // 60 s is not < 60 s
    const looser = { ...facts().runbook, targets: { mttdMs: 120_000, mttrMs: 300_000, source } };
    expect(recordOf(tl.events(), facts({ runbook: looser })).targetsMet).toBe(true);
  });

  it('incident facts count impact and duration from injection on', () => {
    const { tl, at } = drill();
    at({ type: 'injected', fault: 'db down' }); // mono 1000
    at({ type: 'recovered' }); // mono 2000
    const samples = [sample(500, 0), ...Array.from({ length: 10 }, (_, i) => sample(1000 + i * 100, 0))];
    const facts = incidentFacts(tl.events(), samples);
    expect(facts.DURATION).toBe('1s');
    expect(facts.SEVERITY).toBe('critical');
  });
});

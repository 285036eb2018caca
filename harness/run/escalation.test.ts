import { describe, expect, it } from 'vitest';
import { dbOutageScenario } from '../testing/scenarios.ts';
import { type EscalationInput, escalations } from './escalation.ts';

const scenario = dbOutageScenario();
const MIN = 60_000;
const quiet: EscalationInput = {
  outcome: 'resolved-by-runbook',
  metrics: { mttdMs: 1 * MIN, mttrMs: 5 * MIN, timeToRemediateMs: 4 * MIN },
  scenario,
  lastRoundFailures: [],
  steps: [],
  incidentFailures: ['health: GET /health answered 503'],
  observedSeverity: 'high',
  dependencyKinds: { database: ['database'], external: ['external-apis'] },
};
const reasons = (over: Partial<EscalationInput>) => escalations({ ...quiet, ...over }).map((e) => e.reason);

describe('escalations(): the runbook triggers, from measured data', () => {
  it('escalates nothing for a short outage of one service resolved by the runbook', () => {
    expect(reasons({})).toEqual([]);
    // records that could not be read while the API was down are not lost records
    expect(
      reasons({
        incidentFailures: ['data-integrity: GET /v1/tasks/7 answered 503', 'data-integrity: fetch failed'],
      }),
    ).toEqual([]);
  });

  it('names each trigger that held, with its id and its reason', () => {
    const everything: Partial<EscalationInput> = {
      outcome: 'resolved-with-extra-steps',
      metrics: {
        mttdMs: 2 * MIN,
        mttrMs: 40 * MIN,
        timeToRemediateMs: 38 * MIN,
      },
      observedSeverity: 'critical',
      incidentFailures: [
        'dependencies: GET /health/database answered 503; GET /health/external-apis answered 503',
        'data-integrity: record 7 written before the fault is gone',
      ],
    };
    expect(escalations({ ...quiet, ...everything }).map((e) => e.trigger)).toEqual([
      'outage-duration',
      'extra-steps',
      'data-loss',
      'critical-impact',
      'database',
      'external-dependency',
      'several-services',
      'investigation-box',
    ]);
    expect(reasons(everything)).toEqual([
      'outage lasted 40 min, past the 30 min threshold',
      'fix needed steps the runbook does not have',
      'data loss suspected: records written before the fault are missing or changed',
      'customer impact critical: the drill traffic saw a complete outage',
      'production database issue: database failed during the incident',
      'external dependency failure: external-apis failed during the incident',
      'more than one service affected: database, external-apis',
      'root cause unclear after 15 min: recovered 38 min after detection',
    ]);
  });

  it('knows a database or an external dependency only by what the config names', () => {
    const failures = ['dependencies: GET /healthz/postgres answered 503; GET /healthz/payments answered 502'];
    const unnamed = escalations({ ...quiet, dependencyKinds: undefined, incidentFailures: failures });
    expect(unnamed.map((e) => e.trigger)).toEqual(['several-services']);
    expect(unnamed[0]!.reason).toBe('more than one service affected: payments, postgres');
    const named = escalations({
      ...quiet,
      dependencyKinds: { database: ['postgres'], external: ['payments'] },
      incidentFailures: failures,
    });
    expect(named.filter((e) => e.dependencies)).toEqual([
      {
        trigger: 'database',
        reason: 'production database issue: postgres failed during the incident',
        dependencies: ['postgres'],
      },
      {
        trigger: 'external-dependency',
        reason: 'external dependency failure: payments failed during the incident',
        dependencies: ['payments'],
      },
    ]);
  });

  it('an outage that was never detected or never resolved says so', () => {
    expect(reasons({ outcome: 'not-detected', metrics: { ...quiet.metrics, mttdMs: null } })).toContain(
      'monitoring did not detect the outage',
    );
    const unresolved = reasons({
      outcome: 'unresolved',
      metrics: { ...quiet.metrics, mttrMs: null, timeToRemediateMs: null },
    });
    expect(unresolved).toContain('outage not resolved by the runbook within the drill');
    expect(unresolved).toContain('root cause unclear after 15 min: never recovered');
  });
});

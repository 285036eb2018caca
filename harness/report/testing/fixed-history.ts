/**
 * A small history whose KPIs were computed by hand (see aggregate.test.ts for the arithmetic).
 * Change a run here and the expectations there must change with it.
 */
import type { RunRecord } from '../record.ts';
import { type SyntheticRunSpec, syntheticRecord } from './synthetic.ts';

const S = 1000;
export const at = (iso: string): number => Date.parse(iso);

/** Review range: the first quarter of 2026. */
export const RANGE = { sinceMs: at('2026-01-01T00:00:00Z'), now: at('2026-03-31T23:59:59Z') };

const db = (spec: Omit<SyntheticRunSpec, 'scenario' | 'startedAtMs'> & { start: string }): RunRecord =>
  syntheticRecord({ scenario: 'db-outage', startedAtMs: at(spec.start), ...spec });

export function fixedHistory(): RunRecord[] {
  return [
    // Before the range: only history for recurrence.
    db({ runId: 'db-0', start: '2025-12-20T02:00:00Z', outcome: 'unresolved', mttdMs: 100 * S }),
    db({
      runId: 'db-1',
      start: '2026-01-05T02:00:00Z',
      outcome: 'resolved-by-runbook',
      mttdMs: 60 * S,
      mttrMs: 300 * S,
      customerImpactMs: 300 * S,
    }),
    db({
      runId: 'db-2',
      start: '2026-01-06T02:00:00Z',
      outcome: 'resolved-by-runbook',
      mttdMs: 120 * S,
      mttrMs: 600 * S,
      customerImpactMs: 600 * S,
      alerts: [{ alert: 'APIHealthCheckFailure' }, { alert: 'RedisUnreachable', expected: false }],
    }),
    db({
      runId: 'db-3',
      start: '2026-01-07T02:00:00Z',
      outcome: 'unresolved',
      mttdMs: 180 * S,
      customerImpactMs: 1800 * S,
      escalated: true,
    }),
    db({ runId: 'db-7', start: '2026-01-08T02:00:00Z', outcome: 'aborted', customerImpactMs: null }),
    db({
      runId: 'db-4',
      start: '2026-01-12T02:00:00Z',
      outcome: 'resolved-with-extra-steps',
      mttdMs: 240 * S,
      mttrMs: 900 * S,
      customerImpactMs: 900 * S,
    }),
    db({ runId: 'db-5', start: '2026-01-13T02:00:00Z', outcome: 'not-detected', customerImpactMs: 120 * S }),
    db({
      runId: 'db-6',
      start: '2026-02-20T02:00:00Z',
      outcome: 'resolved-by-runbook',
      mttdMs: 600 * S,
      mttrMs: 1200 * S,
      customerImpactMs: 1200 * S,
      escalated: true,
    }),
    db({
      runId: 'db-8',
      start: '2026-03-01T02:00:00Z',
      outcome: 'self-healed',
      mttdMs: 30 * S,
      mttrMs: 90 * S,
      customerImpactMs: 90 * S,
    }),
    // A second scenario: its failure is near db-outage failures but must not count as their recurrence.
    syntheticRecord({
      scenario: 'crash-loop',
      section: 'Scenario 1: Pod Crash Loop',
      runId: 'cl-1',
      startedAtMs: at('2026-01-09T02:00:00Z'),
      outcome: 'unresolved',
      mttdMs: 90 * S,
      customerImpactMs: 600 * S,
    }),
    syntheticRecord({
      scenario: 'crash-loop',
      section: 'Scenario 1: Pod Crash Loop',
      runId: 'cl-2',
      startedAtMs: at('2026-01-10T02:00:00Z'),
      outcome: 'resolved-by-runbook',
      mttdMs: 90 * S,
      mttrMs: 400 * S,
      customerImpactMs: 400 * S,
    }),
    // Control runs: two of five fired.
    ...[
      ['c1', '2026-01-05T01:00:00Z', []],
      ['c2', '2026-01-06T01:00:00Z', ['APIErrorRateHigh']],
      ['c3', '2026-01-07T01:00:00Z', []],
      ['c4', '2026-01-08T01:00:00Z', ['APIErrorRateHigh', 'APIResponseTimeDegraded']],
      ['c5', '2026-01-09T01:00:00Z', []],
    ].map(([runId, start, alerts]) =>
      syntheticRecord({
        scenario: 'control',
        control: true,
        runId: runId as string,
        startedAtMs: at(start as string),
        alerts: (alerts as string[]).map((alert) => ({ alert, afterMs: 120 * S })),
        customerImpactMs: 0,
      }),
    ),
  ];
}

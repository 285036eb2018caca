/**
 * Invocations (the records one `pnpm scenario` call produces) for renderer tests: a repeat of
 * three db-outage runs with known numbers, and an `--all`-style mix with every verdict.
 */
import type { RunRecord } from '../record.ts';
import { syntheticRecord } from './synthetic.ts';

const S = 1000;
const T0 = Date.parse('2026-02-02T02:00:00Z');

/** Text a runbook step could print, chosen to break naive HTML, XML and Markdown writers. */
export const HOSTILE = '<script>alert("pwned")</script> & | `tick` \u001b[31mred\u001b[0m';

/**
 * `pnpm scenario db-outage --repeat 3`: MTTD 60, 120, 600 s; MTTR 300, 600, 2400 s.
 * Run 3 misses both targets (MTTD < 5 min, MTTR < 30 min).
 */
export function repeatInvocation(): RunRecord[] {
  const spec = [
    { mttdMs: 60 * S, mttrMs: 300 * S },
    { mttdMs: 120 * S, mttrMs: 600 * S },
    { mttdMs: 600 * S, mttrMs: 2400 * S, escalated: true },
  ];
  return spec.map((s, i) =>
    syntheticRecord({
      runId: `db-outage-rep-${i + 1}`,
      startedAtMs: T0 + i * 3_600_000,
      outcome: 'resolved-by-runbook',
      alerts: [
        { alert: 'DatabaseUnreachable' },
        ...(i === 1 ? [{ alert: 'RedisUnreachable', expected: false }] : []),
      ],
      steps: [
        {
          command: 'kubectl get pods -n agent-agency -l app=agent-agency-postgres',
          line: 148,
          kind: 'diagnostic',
          output: HOSTILE,
        },
        {
          command: 'kubectl exec -it deploy/x -- nc -zv agent-agency-postgres 5432 | head',
          line: 154,
          kind: 'diagnostic',
          status: 'not-runnable',
          error: 'no kubectl exec on local',
        },
        { command: 'kubectl rollout restart deployment/agent-agency-postgres -n agent-agency', line: 160 },
      ],
      limitations: ['local platform: kubectl exec steps are not runnable', `step printed: ${HOSTILE}`],
      ...s,
    }),
  );
}

/** `pnpm scenario --all`: one run per verdict kind. */
export function mixedInvocation(): RunRecord[] {
  const at = (h: number) => T0 + h * 3_600_000;
  return [
    syntheticRecord({ runId: 'mix-pass', startedAtMs: at(0), outcome: 'resolved-by-runbook' }),
    syntheticRecord({
      scenario: 'crash-loop',
      runId: 'mix-extra',
      startedAtMs: at(1),
      outcome: 'resolved-with-extra-steps',
    }),
    syntheticRecord({
      scenario: 'llm-rate-limit',
      runId: 'mix-unresolved',
      startedAtMs: at(2),
      outcome: 'unresolved',
      escalated: true,
    }),
    syntheticRecord({
      scenario: 'network-partition',
      runId: 'mix-notdetected',
      startedAtMs: at(3),
      outcome: 'not-detected',
    }),
    syntheticRecord({
      scenario: 'resource-exhaustion',
      runId: 'mix-aborted',
      startedAtMs: at(4),
      outcome: 'aborted',
    }),
    syntheticRecord({
      scenario: 'crash-loop',
      runId: 'mix-healed',
      startedAtMs: at(5),
      outcome: 'self-healed',
      mttdMs: 30 * S,
      mttrMs: 60 * S,
    }),
    syntheticRecord({ scenario: 'control', control: true, runId: 'mix-control-quiet', startedAtMs: at(6) }),
    syntheticRecord({
      scenario: 'control',
      control: true,
      runId: 'mix-control-fp',
      startedAtMs: at(7),
      alerts: [{ alert: 'APIResponseTimeDegraded', afterMs: 90 * S }],
    }),
    syntheticRecord({
      runId: 'mix-slow',
      startedAtMs: at(8),
      outcome: 'resolved-by-runbook',
      mttdMs: 400 * S,
      mttrMs: 900 * S,
    }),
  ];
}

import { describe, expect, it } from 'vitest';
import { stackLabels } from './charts/run-charts.ts';
import { headline } from './headline.ts';
import type { RunRecord } from './record.ts';
import { syntheticRecord } from './testing/synthetic.ts';
import { FINDING_LABEL, findingsOf, judge, meetsTarget, stepStatusText, verdictOf } from './verdict.ts';

const start = Date.parse('2026-02-02T02:00:00Z');

describe('judge()', () => {
  it("fails a drill the runbook did not resolve, however fast the scenario's extra steps brought it back", () => {
    const r = syntheticRecord({
      startedAtMs: start,
      outcome: 'resolved-with-extra-steps',
      steps: [
        { command: 'kubectl scale deployment agent-agency-orchestrator --replicas=3', line: 138 },
        { command: 'roll back', kind: 'extra' },
        { command: 'scale', kind: 'extra' },
      ],
    });
    expect(judge(r)).toEqual({
      status: 'failure',
      reasons: [
        'runbook did not resolve it: 2 extra steps supplied by the scenario; the system came back with them',
      ],
    });
    expect(judge(syntheticRecord({ startedAtMs: start, outcome: 'resolved-by-runbook' })).status).toBe(
      'pass',
    );
  });
});

describe('judge() on the fast alert profile', () => {
  it('judges the projection to the production windows and says so, next to what was measured', () => {
    const base = syntheticRecord({
      startedAtMs: start,
      outcome: 'resolved-by-runbook',
      mttdMs: 4_000,
      mttrMs: 60_000,
    });
    const r: RunRecord = {
      ...base,
      alertProfile: 'fast',
      metrics: { ...base.metrics, projectedMttdMs: 304_000, projectedMttrMs: 360_000 },
    };
    expect(judge(base).status).toBe('pass');
    expect(judge(r)).toEqual({
      status: 'failure',
      reasons: [
        'MTTD projected to production windows 5m 04s (measured 4.0 s on fast windows) missed target < 5m 00s',
      ],
    });
    expect(headline(r).timing).toMatch(
      /^MTTD 4\.0 s on fast windows, 5m 04s projected \(target < 5m 00s\) ✗/,
    );
  });
});

describe('verdictOf()', () => {
  it("holds a run to the runbook's strict targets (< 5 min, < 30 min)", () => {
    expect(meetsTarget(299_999, 300_000)).toBe(true);
    expect(meetsTarget(300_000, 300_000)).toBe(false);
    expect(meetsTarget(null, 300_000)).toBeNull();
    const onTheLine = syntheticRecord({
      startedAtMs: start,
      outcome: 'resolved-by-runbook',
      mttdMs: 300_000,
      mttrMs: 600_000,
    });
    expect(verdictOf(onTheLine)).toEqual({
      status: 'failure',
      reasons: ['MTTD 5m 00s missed target < 5m 00s'],
    });
  });

  it('judges a counterfactual run on detection only', () => {
    const cf = syntheticRecord({ startedAtMs: start, outcome: 'unresolved', counterfactual: true });
    expect(verdictOf(cf).status).toBe('pass');
    const missed = syntheticRecord({ startedAtMs: start, outcome: 'not-detected', counterfactual: true });
    expect(verdictOf(missed)).toEqual({ status: 'failure', reasons: ['outcome not-detected'] });
  });

  it('falls back to the record when it says targets were missed for a reason the metrics do not show', () => {
    const r: RunRecord = {
      ...syntheticRecord({ startedAtMs: start, outcome: 'resolved-by-runbook' }),
      targetsMet: false,
    };
    expect(verdictOf(r)).toEqual({ status: 'failure', reasons: ['run record says targets not met'] });
  });
});

describe('findingsOf()', () => {
  const run = (
    steps: Parameters<typeof syntheticRecord>[0]['steps'],
    outcome: RunRecord['outcome'] = 'resolved-by-runbook',
  ) => syntheticRecord({ startedAtMs: start, outcome, steps });

  it('does not blame the runbook for a diagnostic that showed the outage', () => {
    const r = run([
      {
        command: 'curl -fsS https://api.agent-agency.com/health',
        line: 48,
        kind: 'diagnostic',
        status: 'failed',
        error: 'HTTP 503 from http://127.0.0.1:1/health',
        evidence: 'showed-outage',
      },
      {
        command: 'kubectl get virtualservices -n agent-agency',
        line: 90,
        kind: 'diagnostic',
        status: 'failed',
        error: 'error: the server doesn\'t have a resource type "virtualservices"',
      },
      { command: 'kubectl rollout restart deployment/agent-agency-postgres -n agent-agency', line: 160 },
    ]);
    expect(findingsOf(r).map((f) => [f.kind, f.step.line])).toEqual([['failed', 90]]);
    expect(stepStatusText(r.steps[0]!)).toBe('failed (exit 1) — showed the outage');
    expect(stepStatusText(r.steps[1]!)).toBe('failed (exit 1)');
  });

  it('a failed diagnostic the executor did not mark as evidence is a finding, whatever its text', () => {
    const r = run([
      {
        command: 'curl -f https://api.agent-agency.com/health',
        line: 48,
        kind: 'diagnostic',
        status: 'failed',
        error: 'HTTP 503 from http://127.0.0.1:1/health',
      },
    ]);
    expect(findingsOf(r).map((f) => [f.kind, f.step.line])).toEqual([['failed', 48]]);
  });

  it('reports hung, not-runnable, no-op, worsening, missing and over-time-box steps', () => {
    const r = run(
      [
        {
          command: 'kubectl logs -f deployment/agent-agency-orchestrator',
          line: 55,
          kind: 'diagnostic',
          status: 'timed-out',
        },
        {
          command: 'aws elbv2 describe-target-health',
          line: 50,
          kind: 'diagnostic',
          status: 'not-runnable',
          error: 'no AWS here',
        },
        {
          command: 'kubectl scale deployment agent-agency-orchestrator --replicas=3',
          line: 138,
          effect: 'no-change',
        },
        {
          command: 'kubectl scale deployment agent-agency-orchestrator --replicas=0',
          line: 133,
          effect: 'worsened',
        },
        {
          command: 'kubectl get pods',
          line: 45,
          kind: 'diagnostic',
          durationMs: 200_000,
          timeBox: { fromMs: 0, toMs: 120_000, fitted: false },
        },
        { command: 'kubectl rollout undo deployment/agent-agency-orchestrator', kind: 'extra' },
      ],
      'resolved-with-extra-steps',
    );
    expect(findingsOf(r).map((f) => f.kind)).toEqual([
      'timed-out',
      'not-runnable',
      'no-op',
      'worsened',
      'over-time-box',
      'missing',
    ]);
  });
});

describe('findingsOf() and the step policy', () => {
  it('reports a step the policy refused as its own finding, with the reason', () => {
    const r = syntheticRecord({
      startedAtMs: start,
      outcome: 'resolved-by-runbook',
      steps: [
        {
          command: 'rm -rf /var/lib/postgresql',
          line: 49,
          status: 'not-runnable',
          error: 'refused: host program `rm` is not on the allow-list (pass --allow-host-commands to run it)',
        },
        {
          command: 'aws elbv2 describe-target-health',
          line: 50,
          kind: 'diagnostic',
          status: 'not-runnable',
          error: 'cloud-provider CLI (aws) has no counterpart in a drill',
        },
      ],
    });
    const findings = findingsOf(r);
    expect(findings.map((f) => [f.kind, f.step.line])).toEqual([
      ['refused', 49],
      ['not-runnable', 50],
    ]);
    expect(findings[0]!.detail).toMatch(/host program `rm` is not on the allow-list/);
  });
});

describe('findingsOf(): steps the API server refused', () => {
  const denied = (what: string) =>
    `Error from server (Forbidden): ${what} is forbidden: User "system:serviceaccount:agent-agency:firedrill-step" cannot delete resource "${what}" in API group "" at the cluster scope`;
  it("reports a Forbidden answer as outside the drill's permissions, even when the step hid it", () => {
    const r = syntheticRecord({
      startedAtMs: start,
      outcome: 'resolved-by-runbook',
      steps: [
        {
          command: 'kubectl delete namespace kube-system',
          line: 70,
          status: 'failed',
          output: denied('namespaces'),
          error: `exit 1: ${denied('namespaces')}`,
        },
        {
          command: 'kubectl get secrets -A || true',
          line: 71,
          kind: 'diagnostic',
          output: denied('secrets'),
        },
        // Not the API server: a word in an application's log is no refusal.
        {
          command: 'kubectl logs deploy/x',
          line: 72,
          kind: 'diagnostic',
          output: '403 forbidden by upstream',
        },
      ],
    });
    const findings = findingsOf(r);
    expect(findings.map((f) => [f.kind, f.step.line])).toEqual([
      ['forbidden', 70],
      ['forbidden', 71],
    ]);
    expect(findings[0]!.detail).toBe(denied('namespaces'));
    expect(FINDING_LABEL.forbidden).toBe("outside the drill's permissions");
  });
});

describe('stackLabels()', () => {
  it('puts labels that would overlap on separate rows and reuses a row once there is room', () => {
    const axis = { fromMs: 0, toMs: 100_000, widthPx: 600 };
    const rows = stackLabels(
      [0, 1_000, 2_000, 90_000],
      ['injected 0s', 'detected 1s', 'recovered 2s', 'restored 90s'],
      axis,
    );
    expect(rows).toEqual([0, 1, 2, 0]);
  });
});

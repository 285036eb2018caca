import { describe, expect, it } from 'vitest';
import { headline, headlineText } from './headline.ts';
import { syntheticRecord } from './testing/synthetic.ts';

const start = Date.parse('2026-02-02T02:00:00Z');

describe('headline()', () => {
  it('opens with the verdict, the runbook tally and the times against their targets', () => {
    const r = syntheticRecord({
      startedAtMs: start,
      outcome: 'resolved-with-extra-steps',
      mttdMs: 4_000,
      mttrMs: 31 * 60_000,
      alerts: [{ alert: 'DatabaseUnreachable' }, { alert: 'LLMRateLimited', expected: false }],
      steps: [
        { command: 'kubectl get pods -n agent-agency', line: 45, kind: 'diagnostic' },
        {
          command: 'curl -f https://api.agent-agency.com/health',
          line: 48,
          kind: 'diagnostic',
          status: 'failed',
          error: 'HTTP 503',
          evidence: 'showed-outage',
        },
        { command: 'kubectl get virtualservices', line: 90, kind: 'diagnostic', status: 'failed' },
        {
          command: 'kubectl rollout restart deployment/agent-agency-orchestrator',
          line: 236,
          effect: 'no-change',
        },
        { command: 'roll back', kind: 'extra' },
      ],
    });
    const h = headline(r);
    expect(h.status).toBe('failure');
    expect(h.outcome).toMatch(/^resolved-with-extra-steps — FAIL: runbook did not resolve it: 1 extra step /);
    expect(h.outcome).toContain('MTTR 31m 00s missed target');
    // 4 runbook steps: two passed, one showed the outage, one failed on its own
    expect(h.runbook).toBe('runbook: 3/4 steps ok, 3 findings, 1 unexpected alert');
    expect(h.timing).toMatch(/^MTTD 4\.0 s \(target < 5m 00s\) ✓ · MTTR 31m 00s \(target < 30m 00s\) ✗$/);
    expect(headlineText(r)).toBe(`${h.outcome} · ${h.runbook} · ${h.timing}`);
  });

  it('a control run says what fired instead of times', () => {
    const quiet = headline(syntheticRecord({ startedAtMs: start, control: true }));
    expect(quiet.status).toBe('pass');
    expect(quiet.timing).toBe('alerts fired: none (target: none)');
  });
});

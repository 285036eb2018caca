/** Lint findings travel with the result of the step they are about, by line. */
import { describe, expect, it } from 'vitest';
import { findResolution, parseRunbook } from '../runbook/parse.ts';
import type { StepResult } from '../runbook/step-result.ts';
import { lintFindingsOf } from './runbook-plan.ts';

const RUNBOOK = `# Outage

## Resolution

### Scenario 1: API down

\`\`\`bash
# the log
kubectl logs -f deployment/api -n shop
# the pods
kubectl get pods -n shop
# one pod
kubectl exec -it deployment/api -n shop \\
  -- ps aux
\`\`\`

### Scenario 2: Bad config

\`\`\`bash
# Scale down
kubectl scale deployment/api --replicas=0 -n shop

# Fix the configuration

# Scale back up
kubectl scale deployment/api --replicas=3 -n shop
\`\`\`
`;

const resultOf = (id: string, line: number): StepResult => ({
  id,
  section: 'Scenario 1: API down',
  kind: 'diagnostic',
  command: '',
  line,
  status: 'passed',
  exitCode: 0,
  durationMs: 1,
  output: '',
  execution: 'translated',
  effect: 'not-checked',
});

describe('lintFindingsOf', () => {
  it("puts each finding on its own step's result and none on a clean step", () => {
    const runbook = parseRunbook(RUNBOOK, 'runbook.md');
    const withLint = lintFindingsOf(runbook);
    const [logs, get, exec] = findResolution(runbook, 'api down').steps.map((s) =>
      withLint(resultOf(s.id, s.line)),
    );
    // the section's own finding (a resolution that only looks) goes with its first step
    expect(logs!.findings).toEqual([
      expect.objectContaining({ kind: 'lint', rule: 'no-actionable-fix', line: 5 }),
      expect.objectContaining({ kind: 'lint', rule: 'never-ends', severity: 'error', line: 9 }),
    ]);
    expect(get!.findings).toBeUndefined();
    expect(exec!.findings?.map((f) => f.rule)).toContain('tty-in-automation');
    // a fix named without a command sits between steps: it goes with the next one, at its own line
    const [down, up] = findResolution(runbook, 'bad config').steps.map((s) =>
      withLint(resultOf(s.id, s.line)),
    );
    expect(down!.findings).toBeUndefined();
    expect(up!.findings).toEqual([expect.objectContaining({ rule: 'no-actionable-fix', line: 23 })]);
    // a result that is no runbook step (a scenario extra step) is left alone
    expect(withLint(resultOf('extra-1', 0)).findings).toBeUndefined();
  });
});

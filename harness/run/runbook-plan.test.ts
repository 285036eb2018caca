/** Lint findings travel with the result of the step they are about, by line. */
import { describe, expect, it } from 'vitest';
import type { StepResult } from '../report/record.ts';
import { allSteps } from '../runbook/model.ts';
import { parseRunbook } from '../runbook/parse.ts';
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
    const [logs, get, exec] = allSteps(runbook).map((s) => withLint(resultOf(s.id, s.line)));
    expect(logs!.findings).toEqual([
      expect.objectContaining({ kind: 'lint', rule: 'never-ends', severity: 'error', line: 9 }),
    ]);
    expect(get!.findings).toBeUndefined();
    expect(exec!.findings?.map((f) => f.rule)).toContain('tty-in-automation');
    // a result that is no runbook step (a scenario extra step) is left alone
    expect(withLint(resultOf('extra-1', 0)).findings).toBeUndefined();
  });
});

/**
 * The local executor never passes silently where a cluster would behave differently: every
 * divergence (a command that would not end, a TTY, a flag it does not honour, a pod lookup
 * into an empty list) is a finding on the step's result, pointing at the step's line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { PlatformAction } from '../platforms/types.ts';
import { executeSteps } from './execute.ts';
import { allSteps } from './model.ts';
import { parseRunbook } from './parse.ts';
import type { StepResult } from './step-result.ts';
import { translatedExecutor } from './translated-executor.ts';

const RUNBOOK = `# Outage

## Resolution

### Scenario 1: Everything

\`\`\`bash
# follow the log
kubectl logs -f deployment/api -n shop
# watch pods
kubectl get pods -w -n shop
# shell into the api
kubectl exec -it deployment/api -n shop -- ps aux
# pods not running
kubectl get pods -n shop --field-selector=status.phase!=Running
# names only
kubectl get pods -n shop -l app=api -o jsonpath='{.items[*].metadata.name}'
# wait for the rollout
kubectl rollout status deployment/api -n shop --timeout=120s
# wait without a bound
kubectl rollout status deployment/api -n shop
# drop a policy that may be gone
kubectl delete networkpolicy deny-all -n shop --ignore-not-found
# describe the first pod
kubectl describe pod/$(kubectl get pods -n shop -l app=db -o jsonpath='{.items[0].metadata.name}') -n shop
# the last lines, honoured
kubectl logs deployment/api -n shop --tail=50
\`\`\`
`;

/** Records actions; `pods` says how many pods each workload has now. */
function stack(pods: Record<string, number>) {
  const actions: PlatformAction[] = [];
  return {
    actions,
    perform: async (a: PlatformAction) => {
      actions.push(a);
      return `done: ${a.verb}\n`;
    },
    podCount: async (w: string) => pods[w] ?? 1,
  };
}

async function drill(
  text: string,
  pods: Record<string, number> = {},
  namespace = 'shop',
): Promise<StepResult[]> {
  const s = stack(pods);
  const runbook = parseRunbook(text, 'runbook.md');
  return executeSteps(allSteps(runbook), {
    executor: translatedExecutor({ perform: s.perform, podCount: s.podCount, namespace }),
    hostMap: {},
  });
}

const findingsAt = (results: readonly StepResult[], fragment: string): string[] => {
  const r = results.find((x) => x.command.includes(fragment));
  if (!r) throw new Error(`no step with ${fragment}`);
  return (r.findings ?? []).map((f) => `${f.kind}@${f.line}: ${f.message}`);
};

describe('emulation findings of the local executor', () => {
  it('names each divergence on the step that has it, by line', async () => {
    const results = await drill(RUNBOOK, { db: 0 });
    const line = (fragment: string) => results.find((r) => r.command.includes(fragment))!.line;
    expect(findingsAt(results, 'logs -f')).toEqual([
      expect.stringMatching(new RegExp(`^emulation@${line('logs -f')}: \`-f\`: would not end on a cluster`)),
    ]);
    expect(findingsAt(results, 'get pods -w').join('\n')).toContain('`-w`: would not end on a cluster');
    expect(findingsAt(results, 'exec -it').join('\n')).toContain('`-it`: needs a TTY');
    expect(findingsAt(results, '--field-selector').join('\n')).toContain(
      '`--field-selector=status.phase!=Running`: not applied on local',
    );
    expect(findingsAt(results, "-o jsonpath='{.items[*]").join('\n')).toContain('`-o`: not applied on local');
    expect(findingsAt(results, '--timeout=120s').join('\n')).toContain('`--timeout=120s`: not honoured');
    const unbounded = results.find((r) => r.command.endsWith('rollout status deployment/api -n shop'))!;
    expect(unbounded.findings?.map((f) => f.message).join('\n')).toContain('without --timeout');
    expect(findingsAt(results, '--ignore-not-found').join('\n')).toContain(
      '`--ignore-not-found`: not honoured',
    );
    const lookup = findingsAt(results, '{.items[0]').join('\n');
    expect(lookup).toContain('array index out of bounds');
    expect(lookup).toContain('db has no pod now');
    // a flag the translation carries over is no finding
    expect(findingsAt(results, '--tail=50')).toEqual([]);
    // every step still ran: findings annotate, they do not replace the result
    expect(results.every((r) => r.execution === 'translated')).toBe(true);
  });

  it('says nothing about an index lookup that finds a pod', async () => {
    const results = await drill(RUNBOOK, { db: 2 });
    const lookup = findingsAt(results, '{.items[0]').join('\n');
    expect(lookup).toContain('"array index out of bounds" when no pod matches');
    expect(lookup).not.toContain('has no pod now');
  });
});

const USER_RUNBOOK = new URL('../../../shared/reference/api-outage-runbook.md', import.meta.url).pathname;
const hasUserRunbook = existsSync(USER_RUNBOOK);
if (!hasUserRunbook)
  console.warn(
    `SKIPPED: the user's runbook is absent (${USER_RUNBOOK}); its emulation findings are untested`,
  );

describe("emulation findings on the user's runbook", () => {
  it.skipIf(!hasUserRunbook)(
    'flags logs -f, exec -it, --field-selector and the {.items[0]} lookup',
    async () => {
      const text = readFileSync(USER_RUNBOOK, 'utf8');
      const lines = text.split('\n');
      const lineOf = (fragment: string) => lines.findIndex((l) => l.includes(fragment)) + 1;
      const results = await drill(text, {}, 'agent-agency');
      const byLine = new Map(
        results.map((r) => [r.line, (r.findings ?? []).map((f) => f.message).join('\n')]),
      );
      expect(byLine.get(lineOf('kubectl logs -f'))).toContain('would not end on a cluster');
      expect(byLine.get(lineOf('kubectl exec -it deployment/agent-agency-orchestrator'))).toContain(
        'needs a TTY',
      );
      expect(byLine.get(lineOf('--field-selector'))).toContain('not applied on local');
      expect(byLine.get(lineOf('kubectl describe pod/$('))).toContain('array index out of bounds');
    },
  );
});

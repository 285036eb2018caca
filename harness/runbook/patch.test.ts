/**
 * The suggested runbook patch: kubectlFor says every platform verb so the local translator reads
 * it back; the diff writer's output is applied by the real `patch` program; on the user's
 * runbook the patch adds the extra steps in the right sections and fixes what the drill ran.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { PlatformAction } from '../platforms/types.ts';
import type { RunRecord } from '../report/record.ts';
import { repeatInvocation } from '../report/testing/invocations.ts';
import { kubectlFor } from './kubectl-for.ts';
import { allSteps, type Runbook } from './model.ts';
import { findResolution, parseRunbook } from './parse.ts';
import { fixLine, suggestPatch } from './patch.ts';
import type { StepResult } from './step-result.ts';
import { translateCommand } from './translate.ts';
import { unifiedDiff } from './unified-diff.ts';

describe('fixLine: clients that hang where packets are dropped', () => {
  const fix = (line: string) => fixLine(line, line);
  const exec = 'kubectl exec -i deployment/api -n shop -- ';

  it('bounds redis-cli with timeout and gives nc a -w, once', () => {
    expect(fix(`${exec}redis-cli -h cache ping`)).toBe(`${exec}timeout 5 redis-cli -h cache ping`);
    expect(fix(`${exec}nc -zv db 5432`)).toBe(`${exec}nc -w 3 -zv db 5432`);
    for (const done of [
      `${exec}timeout 5 redis-cli -h cache ping`,
      `${exec}nc -z -w 3 db 5432`,
      'nc -zw3 db 5432',
    ])
      expect(fix(done)).toBe(done);
  });

  it('leaves words that only contain the names alone', () => {
    for (const line of ['echo sync-redis-cli done', 'grep func file.go']) expect(fix(line)).toBe(line);
  });
});

const run = promisify(execFile);
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** `patch --dry-run`, then the real thing, on a copy; returns the patched text. */
async function applyPatch(original: string, diff: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'firedrill-patch-'));
  dirs.push(dir);
  const file = join(dir, 'runbook.md');
  await writeFile(file, original);
  await writeFile(join(dir, 'p.patch'), diff);
  const args = (dry: boolean) => [...(dry ? ['--dry-run'] : []), '--silent', file, join(dir, 'p.patch')];
  await run('patch', args(true));
  await run('patch', args(false));
  return readFile(file, 'utf8');
}

describe('kubectlFor', () => {
  const actions: PlatformAction[] = [
    { verb: 'status', workload: 'api' },
    { verb: 'status' },
    { verb: 'scale', workload: 'api', replicas: 3 },
    { verb: 'rollout-restart', workload: 'api' },
    { verb: 'set-env', workload: 'api', env: { DB_POOL_MAX: '10', GREETING: 'hello world', OLD: null } },
    { verb: 'set-resources', workload: 'api', resources: { limits: { cpu: '2', memory: '1Gi' } } },
    { verb: 'delete-pod', workload: 'api' },
    { verb: 'logs', workload: 'api', options: { previous: true, tailLines: 50, sinceSeconds: 600 } },
    { verb: 'list-network-policies' },
    { verb: 'delete-network-policy', name: 'deny-all' },
    { verb: 'exec-check', workload: 'api', check: 'tcp', target: 'db:5432' },
    { verb: 'exec-check', workload: 'api', check: 'dns', target: 'db' },
    { verb: 'exec-check', workload: 'api', check: 'env', target: 'DATABASE' },
    { verb: 'exec-check', workload: 'api', check: 'sql', target: 'db' },
    { verb: 'exec-check', workload: 'api', check: 'redis-ping', target: 'cache' },
    { verb: 'exec-check', workload: 'api', check: 'ps' },
  ];
  it.each(actions.map((a) => [JSON.stringify(a), a] as const))(
    'the local translator reads %s back from its kubectl form',
    (_name, action) => {
      const command = kubectlFor(action, 'shop');
      expect(command).toMatch(/^kubectl .* -n shop\b/);
      const t = translateCommand(command, { hostMap: {}, namespace: 'shop' });
      expect(t.translatable && t.target === 'platform' ? t.action : t).toEqual(action);
    },
  );
});

describe('unifiedDiff', () => {
  it('writes hunks that patch applies, context merged where edits are close', async () => {
    const text = `${Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n')}\n`;
    const diff = unifiedDiff(
      text,
      {
        replace: new Map([
          [2, 'line two'],
          [5, 'line five'],
          [18, 'line eighteen'],
        ]),
        insertBefore: new Map([
          [1, ['first']],
          [21, ['last']],
        ]),
      },
      'f.md',
    );
    expect(diff.match(/^@@/gm)).toHaveLength(2);
    expect(diff).toContain('@@ -1,8 +1,9 @@');
    const patched = await applyPatch(text, diff);
    expect(patched.split('\n').slice(0, 3)).toEqual(['first', 'line 1', 'line two']);
    expect(patched).toContain('line five\nline 6');
    expect(patched.endsWith('line eighteen\nline 19\nline 20\nlast\n')).toBe(true);
  });

  it('is empty when nothing changes', () => {
    expect(unifiedDiff('a\n', { replace: new Map([[1, 'a']]), insertBefore: new Map() }, 'f')).toBe('');
  });
});

describe('suggestPatch on a section without a command', () => {
  it('adds a fenced bash block at the end of the section, before the next heading', async () => {
    const text = `# Shop

## Resolution

### Crash loop

Find the bad setting and fix it.

### Database down

\`\`\`bash
kubectl rollout restart deployment/db -n shop
\`\`\`
`;
    const runbook = parseRunbook(text, 'shop.md');
    const record: RunRecord = {
      ...repeatInvocation()[0]!,
      outcome: 'resolved-with-extra-steps',
      runbook: { file: 'shop.md', section: 'Crash loop' },
      steps: [extra('Roll the api back', { verb: 'scale', workload: 'api', replicas: 2 })],
    };
    const patched = await applyPatch(text, suggestPatch(text, runbook, [record], 'shop.md'));
    expect(patched).toContain(
      'Find the bad setting and fix it.\n\n```bash\n# Roll the api back (the drill needed this step; the runbook lacked it)\nkubectl scale deployment/api --replicas=2 -n shop\n```\n\n### Database down',
    );
    const after = parseRunbook(patched, 'shop.md');
    expect(findResolution(after, 'crash').steps.map((s) => s.command)).toEqual([
      'kubectl scale deployment/api --replicas=2 -n shop',
    ]);
  });
});

const USER_RUNBOOK = new URL('../../../shared/reference/api-outage-runbook.md', import.meta.url).pathname;
const hasUserRunbook = existsSync(USER_RUNBOOK);
if (!hasUserRunbook)
  console.warn(`SKIPPED: the user's runbook is absent (${USER_RUNBOOK}); its suggested patch is untested`);

const ran = (runbook: Runbook, section: string): StepResult[] =>
  [
    ...allSteps(runbook).filter((s) => s.sectionKind === 'investigation'),
    ...findResolution(runbook, section).steps,
    ...allSteps(runbook).filter((s) => s.sectionKind === 'verification'),
  ].map((s) => ({
    id: s.id,
    section: s.section,
    kind: 'diagnostic',
    command: s.command,
    line: s.line,
    status: 'passed',
    exitCode: 0,
    durationMs: 1,
    output: '',
    execution: 'translated',
    effect: 'not-checked',
  }));

const extra = (description: string, action: PlatformAction): StepResult => ({
  id: 'extra-1',
  section: '(scenario extra steps, not in the runbook)',
  kind: 'extra',
  command: `${description} [${JSON.stringify(action)}]`,
  status: 'passed',
  exitCode: 0,
  durationMs: 1,
  output: '',
  execution: 'translated',
  action,
  effect: 'restored-health',
});

function recordOf(runbook: Runbook, section: string, extras: StepResult[]): RunRecord {
  const base = repeatInvocation()[0]!;
  return {
    ...base,
    outcome: 'resolved-with-extra-steps',
    runbook: { file: runbook.file, section: findResolution(runbook, section).title },
    steps: [...ran(runbook, section), ...extras],
  };
}

describe("the suggested patch for the user's runbook", () => {
  it.skipIf(!hasUserRunbook)(
    'adds the extra steps to their sections, fixes what ran, and applies cleanly',
    async () => {
      const text = readFileSync(USER_RUNBOOK, 'utf8');
      const runbook = parseRunbook(text, USER_RUNBOOK);
      const records = [
        recordOf(runbook, 'crash ?loop', [
          extra('Restore the last good configuration', {
            verb: 'set-env',
            workload: 'agent-agency-orchestrator',
            env: { DB_POOL_MAX: '10' },
          }),
        ]),
        recordOf(runbook, 'network', [
          extra('Remove the policy that denies traffic', { verb: 'delete-network-policy', name: 'deny-x' }),
        ]),
      ];
      const diff = suggestPatch(text, runbook, records, 'api-outage-runbook.md');
      const patched = await applyPatch(text, diff);
      const after = parseRunbook(patched, USER_RUNBOOK);

      // (a) the fix steps, in kubectl form, at the end of their own section's code block
      const crash = findResolution(after, 'crash ?loop').steps.map((s) => s.command);
      expect(crash.at(-1)).toBe(
        'kubectl set env deployment/agent-agency-orchestrator DB_POOL_MAX=10 -n agent-agency',
      );
      const network = findResolution(after, 'network').steps.map((s) => s.command);
      expect(network.at(-1)).toBe('kubectl delete networkpolicy deny-x -n agent-agency');
      expect(findResolution(after, 'database').steps.length).toBe(
        findResolution(runbook, 'database').steps.length,
      );

      // (b) mechanical fixes on the steps that ran, and only those
      expect(patched).toContain(
        'kubectl logs deployment/agent-agency-orchestrator -n agent-agency --since=10m | head -100',
      );
      expect(patched).not.toMatch(/kubectl logs -f/);
      expect(patched).toContain(
        'kubectl exec -i deployment/agent-agency-orchestrator -n agent-agency -- timeout 5 redis-cli -h agent-agency-redis ping',
      );
      // Scenario 2 (database) did not run: its exec -it stays as written
      expect(patched).toContain(
        'kubectl exec -it deployment/agent-agency-orchestrator -n agent-agency -- nc -zv agent-agency-postgres 5432',
      );
      expect(patched).toContain('curl --max-time 10 -f https://api.agent-agency.com/health\n');
      expect(patched).toMatch(/# Note: `date -d '10 minutes ago'` is GNU date .*`date -v-10M`/);
      // every other line is untouched
      expect(diff.match(/^-[^-]/gm)?.length).toBeLessThan(25);
      // the same drill on the patched runbook asks for nothing more
      const again = records.map((r) =>
        recordOf(after, r.runbook.section.includes('Network') ? 'network' : 'crash ?loop', []),
      );
      expect(suggestPatch(patched, after, again, 'api-outage-runbook.md')).toBe('');
    },
  );
});

/**
 * Runbook steps act as the drill namespace's ServiceAccount, on a real cluster: what a hostile
 * or careless runbook asks beyond the namespace is refused by the API server itself, what
 * runbooks need works, and the identity is gone after restore and after a ledger replay.
 * Steps run through the real shell executor, as a drill runs them. Needs FIREDRILL_KUBE=1.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { systemClock } from '../../core/clock.ts';
import { Ledger, replayLedgers } from '../../core/ledger.ts';
import { forbiddenLine } from '../../report/verdict.ts';
import { executeSteps } from '../../runbook/execute.ts';
import type { Step } from '../../runbook/model.ts';
import { shellExecutor } from '../../runbook/shell-executor.ts';
import { createKubePlatform } from './index.ts';
import { runKubectl } from './kubectl.ts';
import type { KubeStack } from './stack.ts';
import { STEP_IDENTITY } from './step-identity.ts';

const enabled = process.env['FIREDRILL_KUBE'] === '1';
if (!enabled)
  console.warn(
    'kube step-identity tests SKIPPED: they need a real cluster. Run `pnpm cluster up`, then FIREDRILL_KUBE=1 pnpm exec vitest run harness/platforms/kube/step-identity.test.ts',
  );

const repoRoot = resolve(import.meta.dirname, '..', '..', '..');
const COUNCIL = 'agent-agency-council';

/** Bring the platform up, waiting (bounded) while another drill or suite holds the namespace. */
async function up(dir: string, runId: string): Promise<{ stack: KubeStack; ledgerDir: string }> {
  const ledgerDir = join(dir, `ledger-${runId}`);
  const platform = createKubePlatform({
    namespace: 'agent-agency',
    ledger: Ledger.open(ledgerDir, runId),
    manifests: join(repoRoot, 'fixtures/k8s'),
  });
  const start = systemClock.now().monoMs;
  for (;;) {
    const pre = await platform.preflight();
    if (pre.ok) break;
    const busy = pre.problems.every((p) => p.includes(' is busy: '));
    if (!busy || systemClock.now().monoMs - start > 600_000)
      throw new Error(`FIREDRILL_KUBE=1 but the cluster is not usable: ${pre.problems.join('; ')}`);
    await systemClock.sleep(5000);
  }
  return { stack: (await platform.up({ stateDir: join(dir, runId) })) as KubeStack, ledgerDir };
}

const step = (command: string, line: number): Step => ({
  id: `identity-${line}`,
  section: 'step identity',
  sectionKind: 'resolution',
  command,
  line,
  lineOffsets: [],
  placeholders: [],
  defines: [],
});

describe.skipIf(!enabled)('runbook steps as the namespaced step identity, on a real cluster', () => {
  let dir = '';
  let stack: KubeStack;
  /** The council's replicas before the drill (the fixtures' spec). */
  let councilReplicas = '';
  /** The harness's own (admin) view, to check what the steps could not. */
  const admin = (...args: string[]) =>
    runKubectl(stack.parts.target, args, { timeoutMs: 60_000, namespaced: false });
  const identityObjects = async (namespace: string) =>
    (
      await admin(
        'get',
        'serviceaccount,role,rolebinding',
        '-n',
        namespace,
        '-o',
        'name',
        '--ignore-not-found',
      )
    ).stdout
      .split('\n')
      .filter((l) => l.includes(STEP_IDENTITY));
  const replicasOf = async (name: string) =>
    (await admin('get', `deployment/${name}`, '-n', 'agent-agency', '-o', 'jsonpath={.spec.replicas}'))
      .stdout;
  const runSteps = (commands: readonly string[]) =>
    executeSteps(
      commands.map((c, i) => step(c, i + 1)),
      { executor: shellExecutor({ kubeconfig: stack.stepKubeconfig }), hostMap: {}, timeoutMs: 60_000 },
    );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'firedrill-step-identity-'));
    ({ stack } = await up(dir, 'identity-test'));
    councilReplicas = await replicasOf(COUNCIL);
  }, 900_000);

  afterAll(async () => {
    await stack?.down();
    rmSync(dir, { recursive: true, force: true });
  }, 300_000);

  it('hands steps a kubeconfig with the identity token only, the namespace pinned', async () => {
    const doc = parseYaml(readFileSync(stack.stepKubeconfig, 'utf8')) as {
      users: { name: string; user: Record<string, unknown> }[];
      contexts: { context: { namespace?: string } }[];
    };
    expect(doc.users).toHaveLength(1);
    expect(Object.keys(doc.users[0]!.user)).toEqual(['token']);
    expect(doc.contexts[0]!.context.namespace).toBe('agent-agency');
    const [whoami] = await runSteps(['kubectl auth whoami -o jsonpath="{.status.userInfo.username}"']);
    expect(whoami!.output).toBe(`system:serviceaccount:agent-agency:${STEP_IDENTITY}`);
    expect(await identityObjects('agent-agency')).toHaveLength(3);
  });

  it('refuses what lies outside the namespace or its Role, Forbidden, as a finding; kube-system survives', async () => {
    const results = await runSteps([
      'kubectl delete namespace kube-system',
      'kubectl get secrets -A',
      'kubectl get secrets',
      'kubectl get nodes',
      'kubectl delete configmap firedrill-drill-lock',
    ]);
    for (const r of results) {
      expect(r.status, r.command).toBe('failed');
      expect(forbiddenLine(r), `${r.command}: ${r.output}`).toMatch(/Error from server \(Forbidden\)/);
    }
    const ns = await admin('get', 'namespace', 'kube-system', '-o', 'jsonpath={.status.phase}');
    expect(ns.stdout).toBe('Active');
    const lock = await admin('get', 'configmap', 'firedrill-drill-lock', '-n', 'agent-agency', '-o', 'name');
    expect(lock.code).toBe(0);
  });

  it('lets steps do what runbooks need in the namespace: read pods and logs, scale a deployment', async () => {
    const [pods, logs, scale] = await runSteps([
      'kubectl get pods -o name',
      `kubectl logs deployment/${COUNCIL} --tail=5`,
      `kubectl scale deployment/${COUNCIL} --replicas=${Number(councilReplicas) + 1}`,
    ]);
    expect(pods!.status, pods!.output).toBe('passed');
    expect(pods!.output).toMatch(/^pod\/agent-agency-/m);
    expect(logs!.status, logs!.output).toBe('passed');
    expect(scale!.status, scale!.output).toBe('passed');
    expect(forbiddenLine(scale!)).toBeUndefined();
    expect(await replicasOf(COUNCIL)).toBe(String(Number(councilReplicas) + 1));
  });

  it('is gone after restore, and the scale the step made is put back', async () => {
    await stack.down();
    expect(await identityObjects('agent-agency')).toEqual([]);
    expect(councilReplicas).toMatch(/^\d+$/);
    expect(await replicasOf(COUNCIL)).toBe(councilReplicas);
  }, 300_000);

  it('is removed by a ledger replay (pnpm chaos cleanup after a SIGKILL), and its token grants nothing', async () => {
    const crashed = await up(dir, 'identity-crash');
    try {
      stack = crashed.stack;
      expect(await identityObjects('agent-agency')).toHaveLength(3);
      const replay = await replayLedgers(crashed.ledgerDir);
      expect(replay.failed).toEqual([]);
      expect(replay.undone.map((e) => e.what)).toContain(
        `runbook step identity ${STEP_IDENTITY} (ServiceAccount, Role, RoleBinding) in namespace agent-agency`,
      );
      expect(await identityObjects('agent-agency')).toEqual([]);
      const [after] = await runSteps(['kubectl get pods']);
      expect(after!.status).toBe('failed');
      // Unauthorized once the API server's cache drops the account; its Role is gone at once.
      expect(after!.output).toMatch(/Unauthorized|must be logged in|Error from server \(Forbidden\)/);
    } finally {
      await crashed.stack.down();
    }
  }, 900_000);
});

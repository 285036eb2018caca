/**
 * The kube platform on a real cluster (`pnpm cluster up`, or kind): the fixtures deployed,
 * every verb exercised against real pods, faults observed the way kubectl shows them, and the
 * cluster put back. Needs FIREDRILL_KUBE=1; with it set, an unreachable cluster FAILS the suite.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../core/clock.ts';
import { Ledger, replayLedgers } from '../../core/ledger.ts';
import { memoryLogger } from '../../core/log.ts';
import { HostAccess } from './host-access.ts';
import { createKubePlatform } from './index.ts';
import { runKubectl } from './kubectl.ts';
import type { KubeStack } from './stack.ts';

const enabled = process.env['FIREDRILL_KUBE'] === '1';
if (!enabled)
  console.warn(
    'kube platform tests SKIPPED: they need a real cluster. Run `pnpm cluster up`, then FIREDRILL_KUBE=1 pnpm exec vitest run harness/platforms/kube',
  );

const repoRoot = resolve(import.meta.dirname, '..', '..', '..');
const ORCH = 'agent-agency-orchestrator';
const PG = 'agent-agency-postgres';
const COUNCIL = 'agent-agency-council';

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const start = systemClock.now().monoMs;
  while (systemClock.now().monoMs - start < timeoutMs) {
    if (await probe().catch(() => false)) return;
    await systemClock.sleep(250);
  }
  throw new Error(`not within ${timeoutMs} ms: ${what}`);
}

describe.skipIf(!enabled)('kube platform on a real cluster', () => {
  let dir = '';
  let ledger: Ledger;
  let stack: KubeStack;
  const log = memoryLogger();
  const kubectl = (...args: string[]) => runKubectl(stack.parts.target, args, { timeoutMs: 60_000 });
  const ready = (w: string) => async () => {
    const s = await stack.status(w);
    return (
      s.readyReplicas === s.desiredReplicas && s.pods.length === s.desiredReplicas && s.state === 'Running'
    );
  };
  /** The HTTP status of the API's own database check. */
  const databaseHealth = async () => (await fetch(`${await stack.endpoint(ORCH)}/health/database`)).status;
  const databaseDown = async () => (await databaseHealth()) === 503;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'firedrill-kube-'));
    ledger = Ledger.open(join(dir, 'ledger'), 'kube-test');
    const platform = createKubePlatform({
      ledger,
      namespace: 'agent-agency',
      manifests: join(repoRoot, 'fixtures/k8s'),
      log,
    });
    // Other kube suites (and drills) may hold the namespace: wait for them, bounded, rather than fail.
    let pre = await platform.preflight();
    const start = systemClock.now().monoMs;
    const busyOnly = () => !pre.ok && pre.problems.every((p) => p.includes(' is busy: '));
    while (busyOnly() && systemClock.now().monoMs - start < 600_000) {
      await systemClock.sleep(5000);
      pre = await platform.preflight();
    }
    if (!pre.ok)
      throw new Error(`FIREDRILL_KUBE=1 but the cluster is not usable: ${pre.problems.join('; ')}`);
    stack = (await platform.up({ stateDir: join(dir, 'run') })) as KubeStack;
  }, 900_000);

  afterAll(async () => {
    await stack?.down();
    rmSync(dir, { recursive: true, force: true });
  }, 300_000);

  it('reports every deployment running, with env from Secrets and the declared resources', async () => {
    expect(stack.workloads()).toEqual(expect.arrayContaining([ORCH, PG, COUNCIL, 'agent-agency-redis']));
    const orch = await stack.status(ORCH);
    expect(orch).toMatchObject({ desiredReplicas: 3, readyReplicas: 3, state: 'Running' });
    expect(orch.pods).toHaveLength(3);
    expect(orch.env['API_KEY']).toBe('drill-api-key'); // secretKeyRef, resolved
    expect(orch.resources.limits?.memory).toBe('256Mi');
  });

  it('refuses a second drill on the same namespace while this one runs, before changing anything', async () => {
    const other = createKubePlatform({
      namespace: 'agent-agency',
      ledger: Ledger.open(join(dir, 'other-ledger'), 'other'),
      manifests: join(repoRoot, 'fixtures/k8s'),
    });
    await expect(other.up({ stateDir: join(dir, 'other') })).rejects.toThrow(
      /namespace agent-agency is busy: drill kube-test/,
    );
  });

  it('serves the orchestrator (NodePort) and the council (ClusterIP) on 127.0.0.1, and scrape targets per pod', async () => {
    const orch = await stack.endpoint(ORCH);
    expect(orch).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${orch}/health`)).status).toBe(200);
    const council = await stack.endpoint(COUNCIL);
    expect(council).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`${council}/metrics`)).text()).toMatch(/# TYPE/);
    const jobs = new Map((await stack.scrapeTargets()).map((j) => [j.job, j.urls]));
    expect(jobs.get('orchestrator')).toHaveLength(3);
    expect(jobs.get('council')).toHaveLength(2);
    expect(jobs.get('platform')).toHaveLength(1);
    for (const url of [...jobs.values()].flat()) expect((await fetch(url)).status, url).toBe(200);
    expect(await (await fetch(jobs.get('platform')![0]!)).text()).toMatch(
      /kube_pod_container_status_restarts_total/,
    );
  });

  it('reaches services and pods through the API server port-forward too (the path kind needs)', async () => {
    const access = new HostAccess({
      api: stack.parts.api,
      pods: () => stack.parts.pods.list(),
      log,
      upstream: 'port-forward',
      nodePorts: false,
    });
    try {
      const orch = await access.serviceUrl(ORCH);
      expect(orch).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      for (let i = 0; i < 3; i++) expect((await fetch(`${orch}/health`)).status).toBe(200);
      const pod = stack.podsOf(COUNCIL)[0]!;
      const url = await access.podUrl(pod, 9090);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/# TYPE/);
    } finally {
      await access.close();
    }
  });

  it('shows a bad env rollout as CrashLoopBackOff, with the crash in the previous logs', async () => {
    await stack.setEnv(ORCH, { DB_POOL_MAX: 'not-a-number' });
    await until('a crash-looping orchestrator pod', async () =>
      (await stack.status(ORCH)).pods.some((p) => p.state === 'CrashLoopBackOff' && p.restarts >= 1),
    );
    const crashed = (await stack.status(ORCH)).pods.find((p) => p.state === 'CrashLoopBackOff')!;
    expect(crashed.lastTermination?.exitCode).not.toBe(0);
    expect(crashed.lastTermination?.atWallMs).toBeGreaterThan(0);
    // The status may still name a dead container the kubelet has just collected; ask again.
    let previous = '';
    await until(
      'the crash in the previous logs',
      async () => {
        previous = await stack.logs(ORCH, { pod: crashed.name, previous: true });
        return /DB_POOL_MAX/.test(previous);
      },
      30_000,
    ).catch(() => undefined);
    expect(previous).toMatch(/DB_POOL_MAX/);
    await stack.setEnv(ORCH, { DB_POOL_MAX: '10' });
    await until('orchestrator rolled back', ready(ORCH), 180_000);
  }, 300_000);

  it('shows OOMKilled when the memory limit drops below what the process needs', async () => {
    await stack.setResources(ORCH, { limits: { memory: '24Mi' } });
    await until('an OOMKilled orchestrator pod', async () =>
      (await stack.status(ORCH)).pods.some(
        (p) => p.lastTermination?.reason === 'OOMKilled' || p.state === 'OOMKilled',
      ),
    );
    expect((await stack.status(ORCH)).resources.requests?.memory).toBe('24Mi'); // lowered with the limit
    await stack.setResources(ORCH, { limits: { memory: '256Mi' }, requests: { memory: '128Mi' } });
    await until('orchestrator back', ready(ORCH), 180_000);
  }, 300_000);

  it('halts Postgres (a crash loop) until the runbook restarts it with the real kubectl', async () => {
    await stack.halt(PG);
    // Stopped when halt() returns, not merely deleted from the API: the API's pooled sessions
    // die with the server instead of being served through a grace period.
    await until('the API reports its database down', databaseDown, 5_000);
    for (let i = 0; i < 10; i++) {
      await systemClock.sleep(1000);
      expect(await databaseDown(), `database reachable again ${i + 1} s into the halt`).toBe(true);
    }
    // A crashed server's picture: its pod is there, crash-looping, and answers `kubectl logs`
    // at once (a workload scaled to zero made the runbook's logs step wait 20 s for a pod, and fail).
    await until('a crash-looping postgres pod', async () => {
      const s = await stack.status(PG);
      return s.desiredReplicas === 1 && s.readyReplicas === 0 && s.state === 'CrashLoopBackOff';
    });
    const logs = await kubectl('logs', `deployment/${PG}`, '--tail=5');
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toMatch(/firedrill: agent-agency-postgres is halted/);
    const r = await kubectl('rollout', 'restart', `deployment/${PG}`);
    expect(r.code, r.stderr).toBe(0);
    await until('postgres back after the rollout restart', ready(PG), 120_000);
    const d = await stack.parts.api.readDeployment(PG);
    expect(d.spec?.template.spec?.containers[0]?.command, 'its own command back').toBeUndefined();
    expect(d.metadata?.annotations).not.toHaveProperty(['firedrill.dev/halted']);
    // The orchestrator's readiness follows its database: the next test needs it serving again.
    await until('the API serves with its database again', async () => {
      return (await ready(ORCH)()) && (await databaseHealth()) === 200;
    });
  }, 300_000);

  it('keeps a command the runbook sets on a halted Postgres when the halt ends', async () => {
    await stack.halt(PG);
    const own = ['/usr/local/bin/postgres-entrypoint.sh']; // the image's own entrypoint, spelled out
    const setCommand = (ops: object[]) =>
      kubectl('patch', `deployment/${PG}`, '--type=json', '-p', JSON.stringify(ops));
    const r = await setCommand([{ op: 'add', path: '/spec/template/spec/containers/0/command', value: own }]);
    expect(r.code, r.stderr).toBe(0);
    await until('the halt ended (marker gone)', async () => {
      const d = await stack.parts.api.readDeployment(PG);
      return !d.metadata?.annotations?.['firedrill.dev/halted'];
    });
    await until('postgres serving on the command the runbook set', ready(PG), 120_000);
    const d = await stack.parts.api.readDeployment(PG);
    expect(d.spec?.template.spec?.containers[0]?.command, 'not overwritten by the halt').toEqual(own);
    // Back to the manifest (no command) for the tests after this one.
    const back = await setCommand([{ op: 'remove', path: '/spec/template/spec/containers/0/command' }]);
    expect(back.code, back.stderr).toBe(0);
    const rolled = await kubectl('rollout', 'status', `deployment/${PG}`, '--timeout=120s');
    expect(rolled.code, rolled.stderr).toBe(0);
    await until('the API serves with its database again', async () => {
      return (await ready(ORCH)()) && (await databaseHealth()) === 200;
    });
  }, 300_000);

  it('denies traffic with NetworkPolicies until the runbook deletes the deny policy', async () => {
    const limitations = await stack.applyNetworkDeny({
      name: 'firedrill-deny-orchestrator',
      from: ORCH,
      to: [PG, 'agent-agency-redis'],
    });
    expect(limitations, 'established connections are cut too').toEqual([]);
    expect(await stack.listNetworkDenies()).toEqual(['firedrill-deny-orchestrator']);
    const check = () =>
      stack.perform({ verb: 'exec-check', workload: ORCH, check: 'tcp', target: `${PG}:5432` });
    await until('postgres unreachable from the orchestrator', () =>
      check().then(
        () => false,
        () => true,
      ),
    );
    // Pooled connections opened before the deny are cut too: the API itself loses its database.
    await until('the API reports its database down', databaseDown);
    // ...and stays down: a flow cut before the plugin enforced the policy is re-established
    // under the old rules and outlives it (the partition then heals itself within seconds).
    for (let i = 0; i < 10; i++) {
      await systemClock.sleep(1000);
      expect(await databaseDown(), `database reachable again ${i + 1} s into the deny`).toBe(true);
    }
    const r = await kubectl('delete', 'networkpolicy', 'firedrill-deny-orchestrator');
    expect(r.code, r.stderr).toBe(0);
    await until('postgres reachable again', () => check().then(() => true));
    expect(await stack.listNetworkDenies()).toEqual([]);
  }, 300_000);

  it('breaks name resolution for one workload and restores it', async () => {
    const dns = () => stack.perform({ verb: 'exec-check', workload: ORCH, check: 'dns', target: PG });
    await dns();
    const broken = await stack.breakDns(ORCH, [PG]);
    await until('names stop resolving', () =>
      dns().then(
        () => false,
        () => true,
      ),
    );
    await broken.restore();
    await until('names resolve again', () => dns().then(() => true));
  }, 300_000);

  it('replaces a deleted pod', async () => {
    const before = (await stack.status(COUNCIL)).pods.map((p) => p.name);
    await stack.deletePod(COUNCIL, before[0]);
    await until('a new council pod', async () => {
      const s = await stack.status(COUNCIL);
      return !s.pods.some((p) => p.name === before[0]) && s.readyReplicas === 2;
    });
  }, 300_000);

  it('runs a bounded stressor inside the pods (ephemeral container) and stops it', async () => {
    const stressing = (state: 'running' | 'terminated') => async () =>
      stack
        .podsOf(ORCH)
        .every((p) =>
          p.status?.ephemeralContainerStatuses?.some(
            (s) => s.name.startsWith('firedrill-stress-') && s.state?.[state],
          ),
        );
    const stressor = await stack.startStressor(ORCH, { cpuWorkers: 2, durationMs: 120_000 });
    expect(await stressing('running')()).toBe(true);
    await stressor.stop();
    await until('the stressors ended', stressing('terminated'));
    await until('the service kept running', ready(ORCH));
  }, 300_000);

  it('writes undo recipes that restore the spec without this process (ledger replay)', async () => {
    const side = Ledger.open(join(dir, 'side-ledger'), 'recipe');
    const action = { verb: 'set-env', workload: COUNCIL, env: { RETRY_ENABLED: 'true' } } as const;
    side.record('council retries on', stack.undoRecipe(action, await stack.status(COUNCIL))!);
    await stack.perform(action);
    await stack.scale(COUNCIL, 1);
    await until('council changed', async () => (await stack.status(COUNCIL)).env['RETRY_ENABLED'] === 'true');
    const replay = await replayLedgers(side.dir);
    expect(replay.failed).toEqual([]);
    const d = await stack.parts.api.readDeployment(COUNCIL);
    expect(d.spec?.replicas).toBe(2);
    expect(d.spec?.template.spec?.containers[0]?.env?.find((e) => e.name === 'RETRY_ENABLED')?.value).toBe(
      'false',
    );
  }, 300_000);

  it('down() puts back what the drill and the runbook changed, and settles the ledger', async () => {
    await stack.scale(COUNCIL, 1);
    await stack.setEnv(COUNCIL, { RETRY_ENABLED: 'true' });
    await kubectl('delete', 'networkpolicy', 'allow-council-to-mock-llm');
    await stack.down();
    const d = await stack.parts.api.readDeployment(COUNCIL);
    expect(d.spec?.replicas).toBe(2);
    expect(d.spec?.template.spec?.containers[0]?.env?.find((e) => e.name === 'RETRY_ENABLED')?.value).toBe(
      'false',
    );
    const policies = await stack.parts.api.net.listNamespacedNetworkPolicy({ namespace: stack.namespace });
    expect(policies.items.map((p) => p.metadata?.name)).toContain('allow-council-to-mock-llm');
    expect(ledger.pending()).toEqual([]);
  }, 300_000);
});

/**
 * The process supervisor on real child processes: readiness-gated Service, CrashLoopBackOff
 * with growing restarts, previous logs, rolling restart without downtime, env rollouts, pod
 * deletion, halt, resource limits through cgroups (OOMKilled), stressors and the exporter.
 */
import { existsSync, readFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, HOG_SCRIPT, type Sandbox, sandbox, WEB_SCRIPT } from '../../testing/local-sandbox.ts';
import type { RunningStack } from '../types.ts';
import { probeCgroups } from './cgroups.ts';
import { createLocalPlatform } from './index.ts';
import type { LocalStack } from './stack.ts';

let box: Sandbox;
let stack: LocalStack;

const stackYaml = (web: string, hog: string) => `
namespace: drill
workloads:
  - name: web
    kind: process
    replicas: 2
    command: ['\${node}', '${web}']
    env: { PORT: '\${port}', POD_NAME: '\${pod}', MODE: ok }
    readiness: { type: http, path: /, periodMs: 200 }
    terminationGracePeriodMs: 1000
  - name: crasher
    kind: process
    replicas: 0
    command: ['\${node}', '${web}']
    env: { PORT: '\${port}', MODE: crash }
    readiness: { type: http, path: /, periodMs: 200 }
  - name: hog
    kind: process
    replicas: 0
    command: ['\${node}', '${hog}']
    env: { PORT: '\${port}' }
    resources: { limits: { memory: 96Mi } }
`;

const getText = async (url: string): Promise<string> =>
  (await fetch(url, { signal: AbortSignal.timeout(2000) })).text();

/** One request on its own connection: keep-alive would pin it to one backend behind the proxy. */
const getFresh = (url: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const req = get(url, { agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () =>
        res.statusCode === 200 ? resolve(body) : reject(new Error(`status ${res.statusCode}`)),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });

beforeAll(async () => {
  box = sandbox();
  const file = box.write(
    'stack.yaml',
    stackYaml(box.write('web.mjs', WEB_SCRIPT), box.write('hog.mjs', HOG_SCRIPT)),
  );
  const platform = createLocalPlatform({
    stackFile: file,
    ledger: box.ledger,
    backoff: { baseMs: 200, capMs: 2000 },
  });
  stack = (await platform.up({ stateDir: box.stateDir })) as LocalStack;
});

afterAll(async () => {
  await stack?.down();
  expect(box.ledger.pending()).toEqual([]);
  box.cleanup();
});

describe('local supervisor', () => {
  it('serves through the Service only from ready pods, round-robin', async () => {
    const status = await stack.status('web');
    expect(status.readyReplicas).toBe(2);
    const url = await stack.endpoint('web');
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add(await getFresh(url));
    expect([...seen].sort()).toEqual(status.pods.map((p) => p.name).sort());
  });

  it('reports CrashLoopBackOff with growing restarts, and the previous logs', async () => {
    await stack.scale('crasher', 1);
    const first = await eventually('CrashLoopBackOff', async () => {
      const s = await stack.status('crasher');
      return s.state === 'CrashLoopBackOff' && s.restarts >= 1 ? s : undefined;
    });
    expect(first.pods[0]?.lastTermination).toMatchObject({ reason: 'Error', exitCode: 1 });
    await eventually('more restarts', async () => (await stack.status('crasher')).restarts > first.restarts);
    expect(await stack.logs('crasher', { previous: true })).toContain('boom: MODE=crash');
    expect(await stack.logs('crasher', { previous: true, tailLines: 1 })).toBe(
      'boom: MODE=crash is not a valid mode\n',
    );
    // The Service of a workload with no ready pod refuses connections.
    await expect(
      fetch(await stack.endpoint('crasher'), { signal: AbortSignal.timeout(2000) }),
    ).rejects.toThrow();
    const metrics = await getText(await stack.metricsEndpoint());
    const pod = first.pods[0]!.name;
    const line = metrics
      .split('\n')
      .find((l) => l.startsWith(`kube_pod_container_status_restarts_total{`) && l.includes(pod));
    expect(Number(line?.split(' ').pop())).toBeGreaterThanOrEqual(1);
    expect(metrics).toContain(
      'kube_deployment_status_replicas_available{namespace="drill",deployment="crasher"} 0',
    );
    await stack.scale('crasher', 0);
    expect((await stack.status('crasher')).state).toBe('ScaledToZero');
  });

  it('rolls out a restart without dropping a request (new connections go to ready pods only)', async () => {
    const before = (await stack.status('web')).pods.map((p) => p.name);
    const url = await stack.endpoint('web');
    let failures = 0;
    let requests = 0;
    let rolling = true;
    const load = (async () => {
      while (rolling && requests < 5000) {
        requests += 1;
        await getFresh(url).catch(() => (failures += 1));
      }
    })();
    await stack.rolloutRestart('web');
    expect(await stack.rolloutStatus('web')).toContain('successfully rolled out');
    rolling = false;
    await load;
    const after = await stack.status('web');
    expect(after.readyReplicas).toBe(2);
    expect(after.pods.map((p) => p.name).some((n) => before.includes(n))).toBe(false);
    expect(requests).toBeGreaterThan(0);
    expect(failures).toBe(0);
  });

  it('a bad env rollout crash-loops every pod; removing the variable recovers', async () => {
    await stack.setEnv('web', { MODE: 'crash' });
    await eventually('all web pods crash-looping', async () => {
      const s = await stack.status('web');
      return s.readyReplicas === 0 && s.pods.every((p) => p.restarts >= 1);
    });
    expect((await stack.status('web')).env.MODE).toBe('crash');
    await stack.setEnv('web', { MODE: null });
    await stack.rolloutStatus('web');
    await eventually('web ready again', async () => (await stack.status('web')).readyReplicas === 2);
    expect((await stack.status('web')).env).not.toHaveProperty('MODE');
  });

  it('rollout undo takes a bad env rollout back to the previous template, and undo again swaps back', async () => {
    const before = (await stack.status('web')).env.MODE;
    expect(before).not.toBe('crash');
    await stack.setEnv('web', { MODE: 'crash' });
    await eventually('web crash-looping', async () => (await stack.status('web')).readyReplicas === 0);
    await stack.perform({ verb: 'rollout-undo', workload: 'web' });
    await stack.rolloutStatus('web');
    await eventually('web ready again', async () => (await stack.status('web')).readyReplicas === 2);
    expect((await stack.status('web')).env.MODE).toBe(before);
    // as on Kubernetes, the undone revision is now the previous one
    await stack.perform({ verb: 'rollout-undo', workload: 'web' });
    expect((await stack.status('web')).env.MODE).toBe('crash');
    await stack.perform({ verb: 'rollout-undo', workload: 'web' });
    await stack.rolloutStatus('web');
    await eventually('web ready once more', async () => (await stack.status('web')).readyReplicas === 2);
  });

  it('replaces a deleted pod with a new one', async () => {
    const [victim] = (await stack.status('web')).pods;
    await stack.deletePod('web', victim!.name);
    const after = await eventually('replacement ready', async () => {
      const s = await stack.status('web');
      return s.readyReplicas === 2 ? s : undefined;
    });
    expect(after.pods.map((p) => p.name)).not.toContain(victim!.name);
  });

  it('halt keeps a workload down until a rollout restart', async () => {
    await stack.halt('web');
    const halted = await stack.status('web');
    expect(halted.readyReplicas).toBe(0);
    expect(halted.pods.every((p) => p.lastTermination?.exitCode === 137)).toBe(true);
    // Longer than the back-off base: a supervisor that restarted it would have done so by now.
    await new Promise((r) => setTimeout(r, 800));
    expect((await stack.status('web')).pods.every((p) => !p.ready && p.restarts === 0)).toBe(true);
    await stack.rolloutRestart('web');
    await stack.rolloutStatus('web');
    await eventually('web back', async () => (await stack.status('web')).readyReplicas === 2);
  });

  it('resetToSpec puts env, replicas and a halt back as the stack file has them', async () => {
    await stack.resetToSpec(); // from whatever the tests before left
    await eventually('at spec', async () => (await stack.offSpec()).length === 0);
    expect(await stack.resetToSpec()).toEqual([]); // at spec: nothing to do
    await stack.setEnv('web', { MODE: 'ok', EXTRA: '1' });
    await stack.scale('web', 1);
    await stack.halt('crasher');
    expect(await stack.offSpec()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^web: 1\/2 ready/)]),
    );
    expect(await stack.resetToSpec()).toEqual(['web (env, 1 replicas)', 'crasher (halted)']);
    await eventually('at spec', async () => (await stack.offSpec()).length === 0);
    const web = await stack.status('web');
    expect(web.readyReplicas).toBe(2);
    expect(stack.workload('web').spec).toMatchObject({ env: { MODE: 'ok' } });
    expect(stack.workload('web').spec).not.toMatchObject({ env: { EXTRA: '1' } });
  });

  const cgroups = probeCgroups();
  it.skipIf(!cgroups.memoryRoot)(
    `memory limit -> OOMKilled${cgroups.memoryRoot ? '' : ` (SKIPPED: ${cgroups.limitations.join('; ')})`}`,
    async () => {
      await stack.scale('hog', 1);
      const s = await eventually('OOMKilled', async () => {
        const st = await stack.status('hog');
        return st.pods[0]?.lastTermination?.reason === 'OOMKilled' ? st : undefined;
      });
      expect(s.pods[0]?.lastTermination?.exitCode).toBe(137);
      await stack.scale('hog', 0);
    },
  );

  it.skipIf(!cgroups.memoryRoot || !cgroups.cpuRoot)(
    'setResources writes the limits into each new pod cgroup',
    async () => {
      await stack.setResources('web', { limits: { memory: '200Mi', cpu: '500m' } });
      expect(await stack.rolloutStatus('web')).toContain('successfully rolled out');
      const pods = (await stack.status('web')).pods;
      const runId = box.ledger.runId;
      for (const p of pods) {
        const mem = join(cgroups.memoryRoot!, 'firedrill', runId, p.name, 'memory.limit_in_bytes');
        const cpu = join(cgroups.cpuRoot!, 'firedrill', runId, p.name, 'cpu.cfs_quota_us');
        expect(readFileSync(mem, 'utf8').trim()).toBe(String(200 * 1024 * 1024));
        expect(readFileSync(cpu, 'utf8').trim()).toBe('50000');
      }
    },
  );

  it.skipIf(!cgroups.memoryRoot)('a stressor runs inside the pod cgroup and stops', async () => {
    const pod = (await stack.status('web')).pods[0]!.name;
    const procs = join(cgroups.memoryRoot!, 'firedrill', box.ledger.runId, pod, 'cgroup.procs');
    const count = () => readFileSync(procs, 'utf8').split('\n').filter(Boolean).length;
    const before = count();
    const stressor = await (stack as RunningStack).startStressor!('web', {
      cpuWorkers: 1,
      durationMs: 10_000,
    });
    await eventually('stress-ng in the cgroup', () => count() > before);
    await stressor.stop();
    expect(count()).toBe(before);
    expect(existsSync(procs)).toBe(true);
  });
});

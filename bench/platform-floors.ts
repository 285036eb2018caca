/**
 * Measures the platform terms of the floors (bench/floors.ts) on the real platform: how long
 * a bare node process takes to listen, how long the stack takes to come up and down on its
 * own, and how long a rollout restart of each remediated workload takes to give a ready
 * instance. The stack is ledgered like a drill's, so `pnpm chaos cleanup` covers a crash.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Clock, elapsedMs } from '../harness/core/clock.ts';
import { UserError } from '../harness/core/errors.ts';
import { defaultLedgerDir, Ledger, stateRoot } from '../harness/core/ledger.ts';
import type { Logger } from '../harness/core/log.ts';
import type { Platform, RunningStack } from '../harness/platforms/types.ts';
import type { PlatformFloors, RestartFloor } from './floors.ts';
import { measurePrometheusStart } from './prometheus-start.ts';

export interface KubeTargetOptions {
  readonly kubeconfig?: string;
  readonly context?: string;
}

export interface PlatformChoice {
  readonly platform: 'local' | 'kube';
  readonly kube?: KubeTargetOptions;
  readonly repoRoot: string;
  readonly ledger: Ledger;
  readonly clock: Clock;
  readonly log: Logger;
}

/** The same platform a drill gets (harness/run/compose.ts), for measuring outside a drill. */
async function createPlatform(c: PlatformChoice): Promise<Platform> {
  if (c.platform === 'kube') {
    const kube = await import('../harness/platforms/kube/index.ts');
    return kube.createKubePlatform({
      ...c.kube,
      manifests: join(c.repoRoot, 'fixtures/k8s'),
      namespace: 'agent-agency', // the fixture the benchmark measures (kube defaults to the context's)
      ledger: c.ledger,
      clock: c.clock,
      log: c.log,
    });
  }
  const { createLocalPlatform } = await import('../harness/platforms/local/index.ts');
  return createLocalPlatform({
    stackFile: join(c.repoRoot, 'fixtures/agent-agency/local-stack.yaml'),
    ledger: c.ledger,
    clock: c.clock,
    log: c.log,
  });
}

/**
 * Why drills cannot run on kube here, or undefined when they can: the platform module must
 * load, the context must pass the guard, and preflight must find the cluster and namespace.
 */
export async function kubeUnavailable(
  opts: Omit<PlatformChoice, 'platform' | 'ledger'>,
): Promise<string | undefined> {
  const ledger = Ledger.open(defaultLedgerDir(), `bench-kube-check-${process.pid}`);
  try {
    const platform = await createPlatform({ ...opts, platform: 'kube', ledger });
    const pre = await platform.preflight();
    return pre.ok ? undefined : `kube preflight: ${pre.problems.join('; ')}`;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return err instanceof UserError ? msg : `kube platform not usable: ${msg}`;
  } finally {
    ledger.close();
  }
}

/** Spawn to "listening on a socket" of a bare node process; best of `repeats`. */
export async function measureProcessStart(clock: Clock, repeats = 5): Promise<number> {
  const script = "require('node:net').createServer().listen(0, '127.0.0.1', () => process.exit(0))";
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < repeats; i++) {
    const t0 = clock.now();
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore', timeout: 30_000 });
      child.on('error', reject);
      child.on('close', resolve);
    });
    if (code !== 0) throw new Error(`node -e (listen) exited ${code}`);
    best = Math.min(best, elapsedMs(t0, clock.now()));
  }
  return best;
}

/**
 * rollout restart, then poll until (a) one new instance is ready and (b) every instance is new
 * and ready. Pod names change with the template, on local as on kube, which tells old from new.
 */
async function timeRestart(
  stack: RunningStack,
  workload: string,
  clock: Clock,
  pollMs: number,
  timeoutMs: number,
): Promise<RestartFloor> {
  const before = new Set((await stack.status(workload)).pods.map((p) => p.name));
  const t0 = clock.now();
  await stack.rolloutRestart(workload);
  let firstReadyMs: number | undefined;
  while (elapsedMs(t0, clock.now()) < timeoutMs) {
    const s = await stack.status(workload);
    const fresh = s.pods.filter((p) => !before.has(p.name));
    const at = elapsedMs(t0, clock.now());
    if (firstReadyMs === undefined && fresh.some((p) => p.ready)) firstReadyMs = at;
    if (
      firstReadyMs !== undefined &&
      fresh.length === s.pods.length &&
      s.pods.length >= s.desiredReplicas &&
      s.pods.every((p) => p.ready)
    )
      return { firstReadyMs, rolledOutMs: at };
    await clock.sleep(pollMs);
  }
  throw new Error(`${workload}: not rolled out ${timeoutMs / 1000}s after a rollout restart`);
}

export interface FloorsOptions {
  readonly workloads: readonly string[];
  readonly repeats: number;
  /** Whether drills may detect with Prometheus (then its start-up is a floor term). */
  readonly measurePrometheus: boolean;
  readonly signal: AbortSignal;
  readonly progress: (line: string) => void;
}

export async function measurePlatformFloors(
  c: Omit<PlatformChoice, 'ledger'>,
  o: FloorsOptions,
): Promise<PlatformFloors> {
  const { clock } = c;
  o.progress(`floors on ${c.platform}: bare node process start`);
  const processStartMs = await measureProcessStart(clock);
  let prometheusStartMs: number | null = null;
  if (o.measurePrometheus) {
    o.progress('floors: Prometheus start alone');
    prometheusStartMs = await measurePrometheusStart(clock);
  }
  const runId = `bench-floors-${c.platform}-${new Date(clock.now().wallMs).toISOString().replace(/[:.]/g, '-')}`;
  const ledger = Ledger.open(defaultLedgerDir(), runId);
  const stateDir = join(stateRoot(), 'runs', runId);
  const dirEntry = ledger.record(`run directory ${stateDir}`, { type: 'remove-dir', path: stateDir });
  try {
    const platform = await createPlatform({ ...c, ledger });
    const pre = await platform.preflight();
    if (!pre.ok) throw new UserError(`preflight (${c.platform}): ${pre.problems.join('; ')}`);
    o.progress(`floors on ${c.platform}: stack up alone`);
    const upAt = clock.now();
    const stack = await platform.up({ stateDir, signal: o.signal });
    const stackUpMs = elapsedMs(upAt, clock.now());
    const restart: Record<string, RestartFloor> = {};
    let stackDownMs = 0;
    try {
      const pollMs = c.platform === 'local' ? 50 : 200;
      for (const w of o.workloads) {
        for (let i = 0; i < o.repeats && !o.signal.aborted; i++) {
          o.progress(`floors on ${c.platform}: rollout restart ${w} (${i + 1}/${o.repeats})`);
          const r = await timeRestart(stack, w, clock, pollMs, 180_000);
          const prev = restart[w];
          restart[w] = prev
            ? {
                firstReadyMs: Math.min(prev.firstReadyMs, r.firstReadyMs),
                rolledOutMs: Math.min(prev.rolledOutMs, r.rolledOutMs),
              }
            : r;
        }
      }
    } finally {
      o.progress(`floors on ${c.platform}: stack down`);
      const downAt = clock.now();
      await stack.down();
      stackDownMs = elapsedMs(downAt, clock.now());
    }
    return { platform: c.platform, processStartMs, stackUpMs, stackDownMs, prometheusStartMs, restart };
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
    ledger.settle(dirEntry.id);
    ledger.close();
  }
}

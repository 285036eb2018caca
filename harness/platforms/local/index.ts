/**
 * The `local` platform: the system under test as real processes on this machine (Postgres,
 * Redis, the fixture services with replicas), behind the same verbs as Kubernetes.
 *
 * @example
 * const platform = createLocalPlatform({ stackFile: 'deploy/local-stack.yaml', ledger });
 * const { ok, problems } = await platform.preflight();
 * const stack = await platform.up({ stateDir: '.firedrill/runs/abc' });
 * await fetch(`${await stack.endpoint('shop-web')}/health`);
 * await stack.down();
 */
import { readFileSync } from 'node:fs';
import { type Clock, systemClock } from '../../core/clock.ts';
import { UserError } from '../../core/errors.ts';
import type { Ledger } from '../../core/ledger.ts';
import { type Logger, silentLogger } from '../../core/log.ts';
import { downThen, Session } from '../../core/session.ts';
import type { Platform, PlatformUpOptions, PreflightResult, RunningStack } from '../types.ts';
import { findBinaries, postgresSearch } from './binaries.ts';
import { probeCgroups } from './cgroups.ts';
import { probePrivateHosts } from './dns.ts';
import { localLockHolder, takeLocalLock } from './lock.ts';
import { type BackoffPolicy, DEFAULT_BACKOFF } from './pod.ts';
import { POSTGRES_USER } from './postgres.ts';
import { capacityNote, machineAllocatable } from './scheduler.ts';
import { loadStackFile } from './stack-file.ts';
import { startLocalStack } from './up.ts';

export { DEFAULT_BACKOFF } from './pod.ts';
export { LocalStack, METRICS_SERVICE } from './stack.ts';
export { loadStackFile } from './stack-file.ts';

export interface LocalPlatformOptions {
  /** Path of the stack declaration, e.g. deploy/local-stack.yaml. */
  readonly stackFile: string;
  readonly ledger: Ledger;
  readonly clock?: Clock;
  readonly log?: Logger;
  /** Restart back-off; default 1 s doubling to 30 s (the kubelet's 10 s..5 min, scaled for drills). */
  readonly backoff?: Partial<BackoffPolicy>;
  /** How long up() waits for each workload to become ready. */
  readonly readyTimeoutMs?: number;
  /**
   * Where the per-namespace drill lock lives (the state dir's locks/): with it, a second drill
   * on the same namespace is refused while the first runs. Without it, no lock (tests).
   */
  readonly lockDir?: string;
}

/** Throws UserError (file and field) when the stack file is missing or invalid. */
export function createLocalPlatform(opts: LocalPlatformOptions): Platform {
  const spec = loadStackFile(opts.stackFile);
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? silentLogger;
  const bins = findBinaries();
  const backoff = { ...DEFAULT_BACKOFF, ...opts.backoff };
  const kinds = new Set(spec.workloads.map((w) => w.kind));

  const check = () => {
    const problems: string[] = [];
    const limitations: string[] = [];
    const need = (what: string, path: string | undefined, where: string, fix: string) => {
      if (!path) problems.push(`${what} not found ${where}: ${fix}`);
    };
    if (kinds.has('postgres')) {
      // one problem per missing package, not per missing program
      const missing = [bins.postgres ? '' : 'postgres', bins.initdb ? '' : 'initdb'].filter(Boolean);
      if (missing.length)
        need(missing.join(' and '), undefined, postgresSearch(), 'apt-get install postgresql');
      if (process.getuid?.() === 0) {
        need('setpriv', bins.setpriv, 'on PATH', 'apt-get install util-linux');
        if (!userExists(POSTGRES_USER)) {
          problems.push(
            `user "${POSTGRES_USER}" missing: Postgres will not run as root; apt-get install postgresql creates it`,
          );
        }
      }
    }
    if (kinds.has('redis')) need('redis-server', bins.redisServer, 'on PATH', 'apt-get install redis-server');
    const cgroups = probeCgroups();
    limitations.push(...cgroups.limitations);
    limitations.push(capacityNote(spec.allocatable ?? machineAllocatable(), spec.allocatable !== undefined));
    if (!bins.stressNg)
      limitations.push('CPU/memory stressor unavailable: stress-ng not found (apt-get install stress-ng)');
    const dnsProblem = probePrivateHosts(bins.unshare, bins.sh);
    if (dnsProblem) {
      limitations.push(
        `DNS-failure faults unavailable (${dnsProblem}); services reach each other by 127.0.0.1`,
      );
    }
    return { problems, limitations, cgroups, dnsProblem };
  };

  return {
    name: 'local',
    async preflight(): Promise<PreflightResult> {
      const holder = opts.lockDir ? localLockHolder(opts.lockDir, spec.namespace) : undefined;
      if (holder) throw new UserError(holder);
      const { problems, limitations } = check();
      return { ok: problems.length === 0, problems, limitations };
    },
    async up(options: PlatformUpOptions): Promise<RunningStack> {
      const c = check();
      if (c.problems.length) throw new Error(`local platform cannot start: ${c.problems.join('; ')}`);
      await using acquiring = new Session();
      // One drill per namespace on this machine, held until the stack is down.
      if (opts.lockDir) {
        const lock = takeLocalLock({
          lockDir: opts.lockDir,
          namespace: spec.namespace,
          runId: opts.ledger.runId,
          nowWallMs: clock.now().wallMs,
          log,
        });
        acquiring.defer(() => lock.release());
      }
      // up() takes down what it started if it fails; the lock is ours to release
      const stack = await startLocalStack(
        {
          spec,
          ledger: opts.ledger,
          clock,
          log,
          bins,
          cgroups: c.cgroups,
          dnsProblem: c.dnsProblem,
          backoff,
          readyTimeoutMs: opts.readyTimeoutMs ?? 60_000,
        },
        options,
      );
      return downThen(stack, acquiring.move());
    },
  };
}

function userExists(name: string): boolean {
  try {
    return readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .some((l: string) => l.startsWith(`${name}:`));
  } catch {
    return false;
  }
}

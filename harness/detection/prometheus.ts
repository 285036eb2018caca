/**
 * Detection source `prometheus`: the Debian Prometheus server as a real process on a free
 * loopback port, scraping the drill's targets and evaluating the fixture's alert rules, the way
 * production notices an outage. Its process and TSDB directory are written to the ledger, so
 * `pnpm chaos cleanup` removes them after a crash.
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Clock, systemClock } from '../core/clock.ts';
import { UserError } from '../core/errors.ts';
import { spawnGated } from '../core/gated-spawn.ts';
import type { Ledger } from '../core/ledger.ts';
import type { Logger } from '../core/log.ts';
import { freePort } from '../core/ports.ts';
import { processStartTime } from '../core/proc.ts';
import { loadProfileTiming, type ProfileTiming, rulesFileFor } from './alert-source.ts';
import {
  fetchAlerts,
  fetchTargets,
  query,
  type Sample,
  type TargetHealth,
  waitUntilEvaluating,
  waitUntilReady,
} from './prometheus-api.ts';
import { renderPrometheusConfig, type ScrapeTarget, writeTargetsFile } from './prometheus-config.ts';
import type { AlertObservation, DetectionProfile, DetectionSource } from './types.ts';

/** Debian's package, or $FIREDRILL_PROMETHEUS_BIN (a release tarball's binary, say). */
export const PROMETHEUS_BINARY = process.env.FIREDRILL_PROMETHEUS_BIN || '/usr/bin/prometheus';

export interface PrometheusOptions {
  readonly targets: readonly ScrapeTarget[];
  readonly profile: DetectionProfile;
  /** The run's state directory; Prometheus works in `<stateDir>/prometheus`. */
  readonly stateDir: string;
  readonly ledger: Ledger;
  readonly log: Logger;
  /** Defaults to fixtures/monitoring/rules/<profile>.yml. */
  readonly rulesFile?: string;
  /** The alert source the rules were rendered from (their timing); default fixtures/monitoring/alerts.yaml. */
  readonly alertSource?: string;
  /** Send firing alerts to this Alertmanager (tests stand up a user's monitoring this way). */
  readonly alertmanagerUrl?: string;
  readonly binary?: string;
  readonly readyTimeoutMs?: number;
  readonly clock?: Clock;
}

export interface RunningPrometheus extends DetectionSource {
  readonly url: string;
  readonly pid: number;
  readonly timing: ProfileTiming;
  /** Replace the scrape targets (instances come and go); Prometheus picks the file up live. */
  setTargets(targets: readonly ScrapeTarget[]): void;
  targets(): Promise<TargetHealth[]>;
  query(promql: string): Promise<Sample[]>;
}

/** Whether the Debian Prometheus is installed; the run loop falls back to probes otherwise. */
export const prometheusInstalled = (binary = PROMETHEUS_BINARY): boolean => existsSync(binary);

/** Launch Prometheus and wait until it evaluates the rules. */
export async function startPrometheus(opts: PrometheusOptions): Promise<RunningPrometheus> {
  const p = new LocalPrometheus(opts);
  await p.start();
  return p;
}

const tail = (file: string, lines: number): string => {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
};

/**
 * How long the first evaluation over scraped data may take: a first scrape up to one scrape
 * interval after start, an evaluation up to one evaluation interval after that. On production
 * windows (15 s + 15 s) a flat 30 s lost that race now and then; allow both twice, 30 s at least.
 */
const evaluatingTimeoutMs = (t: ProfileTiming): number =>
  Math.max(30_000, 2 * (t.scrapeIntervalMs + t.evaluationIntervalMs) + 10_000);

/**
 * Construct with the options, then start(); or use startPrometheus(). launch() first, with the
 * targets still unknown, overlaps Prometheus' own start-up (its target discovery runs on a fixed
 * 5 s tick) with whatever else is starting: setTargets() once they are known, then start().
 */
export class LocalPrometheus implements RunningPrometheus {
  readonly name = 'prometheus';
  readonly timing: ProfileTiming;
  private readonly opts: PrometheusOptions;
  private readonly clock: Clock;
  private readonly dir: string;
  private readonly targetsFile: string;
  private readonly logFile: string;
  private child: ChildProcess | undefined;
  private exit: { code: number | null; signal: string | null } | undefined;
  private ledgerIds: string[] = [];
  private port = 0;
  private targetsNow: readonly ScrapeTarget[];
  /** The targets file as written; undefined until launch() writes it. */
  private targetsText: string | undefined;

  constructor(opts: PrometheusOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
    this.timing = loadProfileTiming(opts.profile, opts.alertSource);
    this.dir = join(opts.stateDir, 'prometheus');
    this.targetsFile = join(this.dir, 'targets.json');
    this.logFile = join(this.dir, 'prometheus.log');
    this.targetsNow = opts.targets;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  /** Launch (unless launch() did) and wait until the rules are evaluated over the current targets. */
  async start(): Promise<void> {
    if (!this.child) await this.launch();
    await waitUntilEvaluating(this.url, {
      timeoutMs: this.opts.readyTimeoutMs ?? evaluatingTimeoutMs(this.timing),
      expectedTargets: this.targetsNow.reduce((n, t) => n + t.urls.length, 0),
      clock: this.clock,
      isDead: () => this.deathNote(),
    });
    this.opts.log.info('prometheus evaluating alert rules', {
      url: this.url,
      pid: this.pid,
      profile: this.opts.profile,
      rules: this.opts.rulesFile ?? rulesFileFor(this.opts.profile),
    });
  }

  /** Spawn Prometheus and wait until it serves its API; it may not have scraped anything yet. */
  async launch(): Promise<void> {
    if (this.child) throw new Error('prometheus already started');
    const binary = this.opts.binary ?? PROMETHEUS_BINARY;
    if (!prometheusInstalled(binary)) {
      throw new UserError(`${binary} not found: install the Debian package (apt-get install prometheus)`);
    }
    const rulesFile = this.opts.rulesFile ?? rulesFileFor(this.opts.profile);
    if (!existsSync(rulesFile)) throw new UserError(`alert rules ${rulesFile} not found`);
    mkdirSync(this.dir, { recursive: true });
    this.targetsText = writeTargetsFile(this.targetsFile, this.targetsNow);
    const configFile = join(this.dir, 'prometheus.yml');
    writeFileSync(
      configFile,
      renderPrometheusConfig({
        scrapeIntervalMs: this.timing.scrapeIntervalMs,
        evaluationIntervalMs: this.timing.evaluationIntervalMs,
        rulesFile,
        targetsFile: this.targetsFile,
        ...(this.opts.alertmanagerUrl ? { alertmanagerUrl: this.opts.alertmanagerUrl } : {}),
      }),
    );
    // Another process may take the probed port before Prometheus binds it: try a few.
    for (let attempt = 1; ; attempt++) {
      this.port = await freePort();
      try {
        await this.spawnOn(binary, configFile);
        break;
      } catch (err) {
        await this.stop();
        const portTaken = tail(this.logFile, 20).includes('address already in use');
        if (!portTaken || attempt >= 3) throw err;
      }
    }
  }

  private deathNote(): string | undefined {
    return this.exit
      ? `prometheus exited (code ${this.exit.code}, signal ${this.exit.signal}); log ${this.logFile}:\n${tail(this.logFile, 5)}`
      : undefined;
  }

  private async spawnOn(binary: string, configFile: string): Promise<void> {
    const tsdb = join(this.dir, 'tsdb');
    // Ledger first: the directory is announced before anything is written to it.
    this.ledgerIds.push(
      this.opts.ledger.record(`prometheus TSDB ${tsdb}`, { type: 'remove-dir', path: tsdb }).id,
    );
    mkdirSync(tsdb, { recursive: true });
    const logFd = openSync(this.logFile, 'a');
    this.exit = undefined;
    // Gated: Prometheus only starts once its PID is in the ledger.
    const { child, open } = spawnGated(
      [
        binary,
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${tsdb}`,
        '--storage.tsdb.retention.time=6h',
        `--web.listen-address=127.0.0.1:${this.port}`,
        '--log.level=info',
        // forget() deletes a finished drill's series; on loopback, for this run only
        '--web.enable-admin-api',
      ],
      { outputs: [logFd, logFd], detached: true },
    );
    closeSync(logFd);
    this.child = child;
    child.once('exit', (code, signal) => {
      this.exit = { code, signal };
    });
    const pid = child.pid;
    if (pid === undefined) {
      const reason = await new Promise<string>((r) => child.once('error', (e) => r(e.message)));
      throw new Error(`cannot start ${binary}: ${reason}`);
    }
    this.ledgerIds.push(
      this.opts.ledger.record(`prometheus process ${pid}`, {
        type: 'kill-process',
        pid,
        processGroup: true,
        ...(processStartTime(pid) ? { startTime: processStartTime(pid)! } : {}),
      }).id,
    );
    open();
    await waitUntilReady(this.url, {
      timeoutMs: this.opts.readyTimeoutMs ?? 30_000,
      clock: this.clock,
      isDead: () => this.deathNote(),
    });
  }

  /** Cheap to call on every platform tick: the file is only rewritten when the targets change. */
  setTargets(targets: readonly ScrapeTarget[]): void {
    this.targetsNow = targets;
    if (this.targetsText === undefined) return; // launch() writes them
    const before = this.targetsText;
    this.targetsText = writeTargetsFile(this.targetsFile, targets, before);
    if (this.targetsText !== before) this.opts.log.debug('prometheus targets updated', { targets });
  }

  async poll(): Promise<readonly AlertObservation[]> {
    if (this.exit) {
      throw new Error(
        `prometheus exited (code ${this.exit.code}, signal ${this.exit.signal}); see ${this.logFile}`,
      );
    }
    return fetchAlerts(this.url);
  }

  targets(): Promise<TargetHealth[]> {
    return fetchTargets(this.url);
  }

  query(promql: string): Promise<Sample[]> {
    return query(this.url, promql);
  }

  /**
   * Forget what was scraped until one scrape interval ago (admin API), so the next drill on the
   * same stack starts from what a fresh Prometheus would know; the last scrape stays, so `up`
   * does not vanish. The last drill's alerts resolve at the next evaluation: a new one waits out
   * its whole `for` again, over new data only.
   */
  async forget(): Promise<void> {
    const endS = (this.clock.now().wallMs - this.timing.scrapeIntervalMs) / 1000;
    const match = encodeURIComponent('{__name__=~".+"}');
    const res = await fetch(`${this.url}/api/v1/admin/tsdb/delete_series?match[]=${match}&end=${endS}`, {
      method: 'POST',
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok)
      throw new Error(`prometheus: deleting the series answered ${res.status}: ${await res.text()}`);
  }

  /** Terminate Prometheus (whole process group), delete its TSDB, settle the ledger. Idempotent. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child?.pid !== undefined && !this.exit) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {}
      const timer = new AbortController();
      const graceful = await Promise.race([
        exited.then(() => true),
        this.clock.sleep(10_000, timer.signal).then(() => false),
      ]);
      timer.abort();
      if (!graceful) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {}
        await exited;
      }
    }
    this.child = undefined;
    rmSync(join(this.dir, 'tsdb'), { recursive: true, force: true });
    for (const id of this.ledgerIds) this.opts.ledger.settle(id);
    this.ledgerIds = [];
  }
}

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gauge, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger } from '../core/ledger.ts';
import { silentLogger } from '../core/log.ts';
import { processEnded } from '../core/proc.ts';
import { type MetricsServer, startMetricsServer } from './metrics-server.ts';
import {
  LocalPrometheus,
  PROMETHEUS_BINARY,
  prometheusInstalled,
  type RunningPrometheus,
  startPrometheus,
} from './prometheus.ts';
import { prometheusSource } from './prometheus-api.ts';
import { ALERTS, type AlertObservation } from './types.ts';
import { waitForAlert } from './watch.ts';

const installed = prometheusInstalled();
if (!installed) {
  const msg = `${PROMETHEUS_BINARY} not installed (apt-get install prometheus): real-Prometheus detection tests`;
  if (process.env.CI) throw new Error(`${msg} cannot run and CI is set`);
  process.stderr.write(`SKIPPED: ${msg} are skipped\n`);
}

/** PIDs of live (not ended) processes whose command line mentions `needle`, straight from /proc. */
function processesMentioning(needle: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(needle) && !processEnded(Number(entry))) found.push(Number(entry));
    } catch {}
  }
  return found;
}

describe.skipIf(!installed)('prometheus detection source (real Prometheus, fast profile)', () => {
  let dir: string;
  let ledger: Ledger;
  let server: MetricsServer;
  let dependencyUp: Gauge<'dependency'>;
  let prom: RunningPrometheus;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'firedrill-prom-'));
    ledger = Ledger.open(join(dir, 'ledger'), 'prom-test');
    const registry = new Registry();
    dependencyUp = new Gauge({
      name: 'agent_agency_dependency_up',
      help: 'test gauge',
      labelNames: ['dependency'] as const,
      registers: [registry],
    });
    dependencyUp.set({ dependency: 'database' }, 1);
    dependencyUp.set({ dependency: 'redis' }, 1);
    server = await startMetricsServer(registry);
    prom = await startPrometheus({
      targets: [{ job: 'orchestrator', urls: [server.url] }],
      profile: 'fast',
      stateDir: dir,
      ledger,
      log: silentLogger,
    });
  });

  afterAll(async () => {
    await prom?.stop();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('scrapes the target under the job name given, not the scrape config name', async () => {
    const seen = await waitForTargetUp(prom);
    expect(seen).toEqual(expect.objectContaining({ job: 'orchestrator', health: 'up' }));
    const up = await prom.query('up{job="orchestrator"}');
    expect(up.map((s) => s.value)).toEqual([1]);
  });

  it('control: with healthy metrics no alert is pending or firing', async () => {
    await waitForTargetUp(prom);
    // Watch for more than twice the longest fast `for` (5 s): a start-up or steady false positive shows.
    const everSeen: AlertObservation[] = [];
    const hit = await waitForAlert(prom, {
      alerts: Object.values(ALERTS),
      state: 'pending',
      timeoutMs: 12_000,
      intervalMs: 500,
      onPoll: (alerts) => everSeen.push(...alerts),
    });
    expect(hit).toBeUndefined();
    expect(everSeen).toEqual([]);
  }, 40_000);

  it('forget() deletes what was scraped until a scrape ago: windows restart, the latest sample stays', async () => {
    await waitForTargetUp(prom);
    await new Promise((r) => setTimeout(r, 3000)); // a few scrapes to forget
    const samples = async () =>
      (await prom.query('count_over_time(agent_agency_dependency_up{dependency="redis"}[1m])'))[0]?.value ??
      0;
    expect(await samples()).toBeGreaterThanOrEqual(3);
    await (prom as LocalPrometheus).forget();
    expect(await samples()).toBeLessThanOrEqual(2);
    // the latest sample stays: up does not vanish, so no instance reads as unscrapable
    expect((await prom.query('up{job="orchestrator"}')).map((s) => s.value)).toEqual([1]);
  }, 40_000);

  it('database gauge flipped to 0: DatabaseUnreachable goes pending, then firing with activeAt', async () => {
    const states: string[] = [];
    const flippedAtWallMs = Date.now();
    dependencyUp.set({ dependency: 'database' }, 0);
    const firing = await waitForAlert(prom, {
      alerts: [ALERTS.databaseDown],
      timeoutMs: 30_000,
      intervalMs: 200,
      onPoll: (alerts) => {
        for (const a of alerts)
          if (a.alert === ALERTS.databaseDown && states.at(-1) !== a.state) states.push(a.state);
      },
    });
    expect(firing?.observation.state).toBe('firing');
    expect(states).toEqual(['pending', 'firing']);
    // activeAt is when the condition was first seen true: after the flip (Prometheus stamps
    // whole milliseconds from its own clock, hence the 1 s tolerance), before it fired.
    expect(firing?.observation.activeAtWallMs).toBeGreaterThan(flippedAtWallMs - 1_000);
    expect(firing?.observation.activeAtWallMs).toBeLessThanOrEqual(firing!.at.wallMs);
    // The other dependency stayed up: its alert must not have appeared.
    expect((await prom.poll()).some((a) => a.alert === ALERTS.redisDown)).toBe(false);
    dependencyUp.set({ dependency: 'database' }, 1);
  }, 40_000);

  it('targets updated while running: the orchestrator gone fires APIHealthCheckFailure', async () => {
    prom.setTargets([{ job: 'council', urls: [server.url] }]);
    const firing = await waitForAlert(prom, {
      alerts: [ALERTS.healthCheckFailure],
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    expect(firing?.observation.state).toBe('firing');
    const targets = await prom.targets();
    expect(targets.map((t) => t.job)).toEqual(['council']);
  }, 40_000);

  it('an external Prometheus reached by URL reports the same alerts', async () => {
    const external = prometheusSource({ url: prom.url });
    await external.start();
    const names = (await external.poll()).map((a) => a.alert);
    expect(names).toContain(ALERTS.healthCheckFailure);
  });

  it('stop() leaves no Prometheus process (checked in /proc) and no TSDB, and settles the ledger', async () => {
    const pid = prom.pid;
    expect(processesMentioning(dir)).toContain(pid);
    await prom.stop();
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect(processesMentioning(dir)).toEqual([]);
    expect(existsSync(join(dir, 'prometheus', 'tsdb'))).toBe(false);
    expect(ledger.pending()).toEqual([]);
  });
});

describe.skipIf(!installed)('prometheus launched before its targets exist (real Prometheus)', () => {
  let dir: string;
  let ledger: Ledger;
  let server: MetricsServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'firedrill-prom-early-'));
    ledger = Ledger.open(join(dir, 'ledger'), 'prom-early-test');
    const registry = new Registry();
    new Gauge({ name: 'agent_agency_dependency_up', help: 'test gauge', registers: [registry] }).set(1);
    server = await startMetricsServer(registry);
  });

  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const early = (name: string) =>
    new LocalPrometheus({
      targets: [],
      profile: 'fast',
      stateDir: join(dir, name),
      ledger,
      log: silentLogger,
    });

  it('start() returns once the targets given after launch() are scraped and the rules evaluated over them', async () => {
    const prom = early('late-targets');
    try {
      await prom.launch();
      // until they are scraped "no orchestrator instance is up" holds: start() must wait past that
      prom.setTargets([{ job: 'orchestrator', urls: [server.url] }]);
      await prom.start();
      expect((await prom.targets()).map((t) => [t.job, t.health])).toEqual([['orchestrator', 'up']]);
      expect((await prom.poll()).filter((a) => a.state === 'firing')).toEqual([]);
    } finally {
      await prom.stop();
    }
    expect(ledger.pending()).toEqual([]);
  }, 40_000);

  it('stop() right after launch() (the stack failed to come up) leaves no process or TSDB', async () => {
    const prom = early('stopped-early');
    await prom.launch();
    const pid = prom.pid;
    await prom.stop();
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect(processesMentioning(join(dir, 'stopped-early'))).toEqual([]);
    expect(existsSync(join(dir, 'stopped-early', 'prometheus', 'tsdb'))).toBe(false);
    expect(ledger.pending()).toEqual([]);
  });
});

async function waitForTargetUp(prom: RunningPrometheus) {
  for (let i = 0; i < 100; i++) {
    const up = (await prom.targets()).find((t) => t.health === 'up');
    if (up) return up;
    await new Promise((r) => setTimeout(r, 200));
  }
  return undefined;
}

/**
 * Benchmark: detection latency of the fast profile, from "condition true" (a metric flipped)
 * to "firing observed" by polling, next to its floor: scrape interval + evaluation interval +
 * `for`. Measured for the real Prometheus (if installed) and for the built-in probes.
 *
 * Run directly: pnpm exec node bench/detection-latency.ts [repeats]
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gauge, Registry } from 'prom-client';
import { type Clock, elapsedMs, systemClock } from '../harness/core/clock.ts';
import { Ledger } from '../harness/core/ledger.ts';
import { type Logger, silentLogger } from '../harness/core/log.ts';
import { type Distribution, distribution } from '../harness/core/metrics.ts';
import { loadProfileTiming } from '../harness/detection/alert-source.ts';
import { startMetricsServer } from '../harness/detection/metrics-server.ts';
import { probeDetection } from '../harness/detection/probes.ts';
import { prometheusInstalled, startPrometheus } from '../harness/detection/prometheus.ts';
import { ALERTS, type DetectionSource } from '../harness/detection/types.ts';
import { waitForAlert } from '../harness/detection/watch.ts';

export interface DetectionBenchResult {
  readonly source: 'prometheus' | 'probes';
  readonly alert: string;
  readonly latenciesMs: readonly number[];
  readonly latency: Distribution;
  readonly scrapeIntervalMs: number;
  readonly evaluationIntervalMs: number;
  readonly forMs: number;
  /** scrape interval + evaluation interval + for. */
  readonly floorMs: number;
}

export interface DetectionBenchOptions {
  /** Where Prometheus keeps its TSDB and the ledger lives; a temp dir by default. */
  readonly stateDir?: string;
  readonly repeats?: number;
  /** Poll interval of the detection source while waiting for `firing`. */
  readonly pollIntervalMs?: number;
  readonly clock?: Clock;
  readonly log?: Logger;
  /** Where result lines go; stdout by default. */
  readonly print?: (line: string) => void;
}

const ALERT = ALERTS.databaseDown;
const s = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(2)}s`);

export function formatBenchResult(r: DetectionBenchResult): string {
  const d = r.latency;
  return (
    `detection latency (fast profile, ${r.source}, ${r.alert}): n=${d.n} p50=${s(d.p50)} p95=${s(d.p95)} ` +
    `min=${s(d.min)} max=${s(d.max)} | floor = scrape ${s(r.scrapeIntervalMs)} + evaluation ` +
    `${s(r.evaluationIntervalMs)} + for ${s(r.forMs)} = ${s(r.floorMs)}`
  );
}

/**
 * Flip the condition `repeats` times at a random phase, measure flip -> first poll seeing
 * `firing`, and restore (waiting until the alert has cleared) between repeats.
 */
async function measure(
  source: DetectionSource,
  flip: (down: boolean) => void,
  opts: { repeats: number; pollIntervalMs: number; clock: Clock },
): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < opts.repeats; i++) {
    await opts.clock.sleep(Math.random() * 1000); // decorrelate from scrape/evaluation phase
    const flippedAt = opts.clock.now();
    flip(true);
    const seen = await waitForAlert(source, {
      alerts: [ALERT],
      timeoutMs: 30_000,
      intervalMs: opts.pollIntervalMs,
      clock: opts.clock,
    });
    if (!seen) throw new Error(`${source.name}: ${ALERT} not firing 30 s after the flip`);
    latencies.push(elapsedMs(flippedAt, seen.at));
    flip(false);
    for (let j = 0; j < 300 && (await source.poll()).some((a) => a.alert === ALERT); j++) {
      await opts.clock.sleep(100);
    }
  }
  return latencies;
}

export async function benchDetectionLatency(
  opts: DetectionBenchOptions = {},
): Promise<DetectionBenchResult[]> {
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? silentLogger;
  const print = opts.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const repeats = opts.repeats ?? 5;
  const pollIntervalMs = opts.pollIntervalMs ?? 50;
  const timing = loadProfileTiming('fast');
  const forMs = timing.alerts[ALERT].forMs;
  const ownDir = opts.stateDir ? undefined : mkdtempSync(join(tmpdir(), 'firedrill-bench-'));
  const stateDir = opts.stateDir ?? ownDir!;
  const results: DetectionBenchResult[] = [];
  const result = (
    source: DetectionBenchResult['source'],
    latenciesMs: number[],
    scrapeMs: number,
    evalMs: number,
  ) => {
    const r: DetectionBenchResult = {
      source,
      alert: ALERT,
      latenciesMs,
      latency: distribution(latenciesMs),
      scrapeIntervalMs: scrapeMs,
      evaluationIntervalMs: evalMs,
      forMs,
      floorMs: scrapeMs + evalMs + forMs,
    };
    results.push(r);
    print(formatBenchResult(r));
  };

  try {
    if (prometheusInstalled()) {
      const registry = new Registry();
      const up = new Gauge({
        name: 'agent_agency_dependency_up',
        help: 'bench',
        labelNames: ['dependency'],
        registers: [registry],
      });
      up.set({ dependency: 'database' }, 1);
      const server = await startMetricsServer(registry);
      const ledger = Ledger.open(join(stateDir, 'ledger'), 'bench-detection');
      const prom = await startPrometheus({
        targets: [{ job: 'orchestrator', urls: [server.url] }],
        profile: 'fast',
        stateDir,
        ledger,
        log,
      });
      try {
        const flip = (down: boolean) => up.set({ dependency: 'database' }, down ? 0 : 1);
        const latencies = await measure(prom, flip, { repeats, pollIntervalMs, clock });
        result('prometheus', latencies, timing.scrapeIntervalMs, timing.evaluationIntervalMs);
      } finally {
        await prom.stop();
        await server.close();
        ledger.close();
      }
    } else {
      print('detection latency (prometheus): skipped, /usr/bin/prometheus not installed');
    }

    // Probes evaluate in the same round as they probe: the "evaluation interval" is 0 extra.
    const health = { database: 200 };
    const server = createServer((req, res) => {
      res.writeHead(req.url === '/health/database' ? health.database : 200).end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const probes = probeDetection({
      profile: 'fast',
      entryUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      clock,
      log,
    });
    await probes.start();
    try {
      const flip = (down: boolean) => {
        health.database = down ? 503 : 200;
      };
      result(
        'probes',
        await measure(probes, flip, { repeats, pollIntervalMs, clock }),
        timing.scrapeIntervalMs,
        0,
      );
    } finally {
      await probes.stop();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  } finally {
    if (ownDir) rmSync(ownDir, { recursive: true, force: true });
  }
  return results;
}

if (import.meta.main) {
  const repeats = Number(process.argv[2] ?? 5);
  await benchDetectionLatency({ repeats: Number.isInteger(repeats) && repeats > 0 ? repeats : 5 });
}

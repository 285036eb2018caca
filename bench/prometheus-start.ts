/**
 * A floor term for drills that detect with Prometheus: a drill launches Prometheus as the stack
 * comes up and cannot inject before it evaluates the rules, so what its start-up takes beyond
 * stack up and steady state is an unavoidable wait. Measured alone against one scrape target,
 * best of `repeats`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gauge, Registry } from 'prom-client';
import { type Clock, elapsedMs } from '../harness/core/clock.ts';
import { Ledger } from '../harness/core/ledger.ts';
import { silentLogger } from '../harness/core/log.ts';
import { startMetricsServer } from '../harness/detection/metrics-server.ts';
import { prometheusInstalled, startPrometheus } from '../harness/detection/prometheus.ts';

/** Spawn to "evaluating rules with every target scraped"; null when Prometheus is not installed. */
export async function measurePrometheusStart(clock: Clock, repeats = 2): Promise<number | null> {
  if (!prometheusInstalled()) return null;
  const dir = mkdtempSync(join(tmpdir(), 'firedrill-bench-prom-'));
  const registry = new Registry();
  new Gauge({ name: 'bench_up', help: 'a target to scrape', registers: [registry] }).set(1);
  const server = await startMetricsServer(registry);
  const ledger = Ledger.open(join(dir, 'ledger'), 'bench-prometheus-start');
  let best = Number.POSITIVE_INFINITY;
  try {
    for (let i = 0; i < repeats; i++) {
      const t0 = clock.now();
      const prom = await startPrometheus({
        targets: [{ job: 'orchestrator', urls: [server.url] }],
        profile: 'fast',
        stateDir: join(dir, String(i)),
        ledger,
        log: silentLogger,
        clock,
      });
      best = Math.min(best, elapsedMs(t0, clock.now()));
      await prom.stop();
    }
  } finally {
    await server.close();
    ledger.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return best;
}

/**
 * Both detection sources on the real Agent Agency fixture (local platform: Postgres, Redis,
 * orchestrator x3, council x2, mock LLM as processes) under the drill's background load: a
 * control period raises nothing, and Postgres scaled to zero is detected by both.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger } from '../core/ledger.ts';
import { silentLogger } from '../core/log.ts';
import { createLocalPlatform } from '../platforms/local/index.ts';
import type { RunningStack } from '../platforms/types.ts';
import { type RunningLoad, startLoad } from '../verify/load.ts';
import { type ProbeDetection, probeDetection } from './probes.ts';
import { prometheusInstalled, type RunningPrometheus, startPrometheus } from './prometheus.ts';
import { ALERTS, type AlertObservation, type DetectionSource } from './types.ts';
import { waitForAlert } from './watch.ts';

const ORCHESTRATOR = 'agent-agency-orchestrator';
const installed = prometheusInstalled();
if (!installed) {
  const msg = '/usr/bin/prometheus not installed: detection on the real stack';
  if (process.env.CI) throw new Error(`${msg} cannot run and CI is set`);
  process.stderr.write(`SKIPPED: ${msg} is skipped\n`);
}

describe.skipIf(!installed)('detection on the real local stack (fast profile, background load)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'firedrill-stackdet-'));
  const ledger = Ledger.open(join(dir, 'ledger'), 'stack-detection');
  let stack: RunningStack;
  let prom: RunningPrometheus;
  let probes: ProbeDetection;
  let load: RunningLoad;

  beforeAll(async () => {
    const platform = createLocalPlatform({
      stackFile: join(import.meta.dirname, '../../fixtures/agent-agency/local-stack.yaml'),
      ledger,
      log: silentLogger,
    });
    const pre = await platform.preflight();
    if (!pre.ok) throw new Error(`local platform preflight: ${pre.problems.join('; ')}`);
    stack = await platform.up({ stateDir: dir });
    const url = await stack.endpoint(ORCHESTRATOR);
    prom = await startPrometheus({
      targets: await stack.scrapeTargets!(),
      profile: 'fast',
      stateDir: dir,
      ledger,
      log: silentLogger,
    });
    probes = probeDetection({
      profile: 'fast',
      entryUrl: url,
      statusOf: () => stack.status(ORCHESTRATOR),
      metricsUrl: `${await stack.endpoint('agent-agency-council')}/metrics`,
    });
    await probes.start();
    load = startLoad({
      baseUrl: url,
      token: (await stack.status(ORCHESTRATOR)).env['API_KEY'] ?? '',
      ratePerSecond: 20,
      durationMs: 120_000,
      maxRequests: 2_400,
      onSample: (s) => probes.record(s),
    });
  }, 120_000);

  afterAll(async () => {
    await load?.stop();
    await probes?.stop();
    await prom?.stop();
    await stack?.down();
    expect(ledger.pending()).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  const watchQuiet = (source: DetectionSource, seen: AlertObservation[]) =>
    waitForAlert(source, {
      alerts: Object.values(ALERTS),
      state: 'pending',
      timeoutMs: 25_000,
      intervalMs: 500,
      onPoll: (alerts) => seen.push(...alerts),
    });

  it('control: 25 s of load on a healthy stack raises no alert in either source', async () => {
    const fromPrometheus: AlertObservation[] = [];
    const fromProbes: AlertObservation[] = [];
    await Promise.all([watchQuiet(prom, fromPrometheus), watchQuiet(probes, fromProbes)]);
    expect(fromPrometheus).toEqual([]);
    expect(fromProbes).toEqual([]);
    expect(load.samples().length).toBeGreaterThan(0);
    expect(load.samples().every((s) => s.status > 0 && s.status < 400)).toBe(true);
  }, 60_000);

  it('Postgres scaled to zero: both sources see DatabaseUnreachable firing', async () => {
    await stack.scale('agent-agency-postgres', 0);
    try {
      const wait = (source: DetectionSource) =>
        waitForAlert(source, { alerts: [ALERTS.databaseDown], timeoutMs: 40_000, intervalMs: 250 });
      const [byPrometheus, byProbes] = await Promise.all([wait(prom), wait(probes)]);
      expect(byPrometheus?.observation.state).toBe('firing');
      expect(byProbes?.observation.state).toBe('firing');
    } finally {
      await stack.scale('agent-agency-postgres', 1);
    }
  }, 90_000);
});

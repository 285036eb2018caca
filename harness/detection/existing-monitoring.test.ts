/**
 * Existing monitoring, end to end through the run loop: a Prometheus with the user's own rules
 * (started here as the user would run it, sending to the Debian Alertmanager) detects the
 * drill's fault, and the Alertmanager's page reaches the harness's webhook receiver.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gauge, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { systemClock } from '../core/clock.ts';
import { UserError } from '../core/errors.ts';
import { Ledger } from '../core/ledger.ts';
import { listenOnLoopback } from '../core/listen.ts';
import { silentLogger } from '../core/log.ts';
import { runRecordSchema } from '../report/record.ts';
import { renderRunMarkdown } from '../report/run-markdown.ts';
import { runDrill } from '../run/loop.ts';
import type { RunbookPlan } from '../run/types.ts';
import { scenarioSchema } from '../scenario/schema.ts';
import { createMemoryStack, type MemoryStack, memoryVerifier } from '../testing/memory-platform.ts';
import { type PageReceiver, startPageReceiver } from './alertmanager.ts';
import {
  checkExistingMonitoring,
  type ExistingMonitoring,
  existingMonitoringSource,
} from './existing-monitoring.ts';
import { type MetricsServer, startMetricsServer } from './metrics-server.ts';
import {
  PROMETHEUS_BINARY,
  prometheusInstalled,
  type RunningPrometheus,
  startPrometheus,
} from './prometheus.ts';
import {
  ALERTMANAGER_BINARY,
  alertmanagerInstalled,
  type RunningAlertmanager,
  startAlertmanager,
} from './testing-alertmanager.ts';

const installed = prometheusInstalled() && alertmanagerInstalled();
if (!installed) {
  const msg = `${PROMETHEUS_BINARY} or ${ALERTMANAGER_BINARY} not installed (apt-get install prometheus prometheus-alertmanager): existing-monitoring tests`;
  if (process.env.CI) throw new Error(`${msg} cannot run and CI is set`);
  process.stderr.write(`SKIPPED: ${msg} are skipped\n`);
}

/** The user's rules: one that follows the database, one that can never fire. */
const USER_RULES = {
  groups: [
    {
      name: 'user-rules',
      rules: [
        { alert: 'DatabaseUnreachable', expr: 'shop_db_up == 0', for: '1s' },
        { alert: 'QueueStuck', expr: 'vector(1) > 2', for: '1s' },
      ],
    },
  ],
};

const drillScenario = (alert: string, workload: string) =>
  scenarioSchema.parse({
    name: 'user-monitoring',
    title: 'Drill against existing monitoring',
    severity: 'critical',
    runbook: { section: 'database' },
    fault: { kind: 'dependency-down', workload },
    detection: { alerts: [alert], timeoutMs: 8_000 },
    verification: { consecutivePasses: 2, intervalMs: 200 },
    timeouts: {
      steadyStateMs: 60_000,
      injectMs: 5_000,
      remediateMs: 40_000,
      verifyMs: 20_000,
      restoreMs: 10_000,
    },
  });

/** The on-call engineer: acts once paged (or at once, without a pager), restarting what broke. */
function onCall(stack: MemoryStack, workload: string, pager?: PageReceiver): RunbookPlan {
  const restart: RunbookPlan['remediate'] = async (hooks, signal) => {
    for (let waited = 0; pager && pager.pages().length === 0 && waited < 30_000; waited += 100)
      await systemClock.sleep(100, signal);
    hooks.onStart({ id: 'restart', title: 'restart', extra: false });
    await stack.perform({ verb: 'rollout-restart', workload });
    const result = {
      id: 'restart',
      section: 'database',
      kind: 'remediation' as const,
      command: `restart ${workload}`,
      status: 'passed' as const,
      exitCode: 0,
      durationMs: 0,
      output: '',
      execution: 'translated' as const,
      effect: 'restored-health' as const,
    };
    hooks.onEnd(result);
    return [result];
  };
  return {
    file: 'runbook.md',
    section: 'database',
    hostMap: {},
    investigate: async () => [],
    remediate: restart,
    extra: async () => [],
    afterRecovery: async () => [],
    describe: () => [],
    hasExtraSteps: false,
  };
}

describe.skipIf(!installed)('existing monitoring: user Prometheus + Debian Alertmanager', () => {
  const dir = mkdtempSync(join(tmpdir(), 'firedrill-existing-'));
  const ledger = Ledger.open(join(dir, 'ledger'), 'existing-monitoring');
  const stack = createMemoryStack({ 'shop-db': { replicas: 1 }, 'shop-web': { replicas: 2 } });
  let metrics: MetricsServer;
  let receiver: PageReceiver;
  let alertmanager: RunningAlertmanager;
  let prometheus: RunningPrometheus;

  beforeAll(async () => {
    const registry = new Registry();
    // the user's exporter: whether their database has a ready replica
    new Gauge({
      name: 'shop_db_up',
      help: 'whether the drill database is up',
      registers: [registry],
      async collect() {
        this.set((await stack.status('shop-db')).readyReplicas > 0 ? 1 : 0);
      },
    });
    metrics = await startMetricsServer(registry);
    receiver = await startPageReceiver();
    // a group wait well past the harness's poll: the page cannot beat the poll that saw firing
    alertmanager = await startAlertmanager({
      dir: join(dir, 'am'),
      webhookUrl: receiver.url,
      groupWait: '4s',
    });
    const rulesFile = join(dir, 'user-rules.yml');
    writeFileSync(rulesFile, stringify(USER_RULES));
    prometheus = await startPrometheus({
      targets: [{ job: 'shop', urls: [metrics.url] }],
      profile: 'fast',
      stateDir: dir,
      ledger,
      log: silentLogger,
      rulesFile,
      alertmanagerUrl: alertmanager.url,
    });
  }, 90_000);

  afterAll(async () => {
    await prometheus?.stop();
    await alertmanager?.stop();
    await receiver?.close();
    await metrics?.close();
    expect(ledger.pending()).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const drill = (alert: string, workload: string, monitoring: ExistingMonitoring, pager?: PageReceiver) =>
    runDrill({
      runId: `existing-${alert}`,
      scenario: drillScenario(alert, workload),
      mode: 'drill',
      stack,
      detection: existingMonitoringSource(monitoring, { log: silentLogger, expected: [alert] }),
      verifier: memoryVerifier(stack, systemClock),
      runbook: onCall(stack, workload, pager),
      ledger,
      clock: systemClock,
      log: silentLogger,
      signal: new AbortController().signal,
      detectionPollMs: 250,
      settleMs: 2_000,
    });

  it('a rule that never fires: not-detected, no MTTD and no page, detected by the user Prometheus', async () => {
    const monitoring = { prometheusUrl: prometheus.url, alertmanagerUrl: alertmanager.url, receiver };
    const record = await drill('QueueStuck', 'shop-web', monitoring);
    expect(record.outcome).toBe('not-detected');
    expect(record.detectionSource).toBe(`prometheus at ${prometheus.url}`);
    expect(record.metrics.mttdMs).toBeNull();
    expect(record.metrics.mttdPageMs).toBeNull();
    expect(record.restore.ok).toBe(true);
  }, 120_000);

  it('the page arrives after firing: MTTD to the page >= MTTD, routed and paged on the timeline', async () => {
    const monitoring = { prometheusUrl: prometheus.url, alertmanagerUrl: alertmanager.url, receiver };
    const record = await drill('DatabaseUnreachable', 'shop-db', monitoring, receiver);
    expect(record.outcome).toBe('resolved-by-runbook');
    const { mttdMs, mttdPageMs } = record.metrics;
    expect(mttdMs).not.toBeNull();
    expect(mttdPageMs).toEqual(expect.any(Number));
    expect(mttdPageMs!).toBeGreaterThanOrEqual(mttdMs!);
    const paged = record.timeline.find((e) => e.type === 'paged');
    expect(paged).toMatchObject({ alert: 'DatabaseUnreachable', expected: true, receiver: 'drill-pager' });
    expect(record.timeline.some((e) => e.type === 'routed' && e.alert === 'DatabaseUnreachable')).toBe(true);
    expect(runRecordSchema.parse(JSON.parse(JSON.stringify(record))).metrics.mttdPageMs).toBe(mttdPageMs);
    expect(renderRunMarkdown([record])).toMatch(/MTTD to page \(Alertmanager notification\) \| \d/);
  }, 120_000);

  it('without an Alertmanager nothing about pages is recorded', async () => {
    const record = await drill('DatabaseUnreachable', 'shop-db', { prometheusUrl: prometheus.url });
    expect(record.outcome).toBe('resolved-by-runbook');
    expect(record.metrics).not.toHaveProperty('mttdPageMs');
    expect(record.timeline.some((e) => e.type === 'paged' || e.type === 'paging')).toBe(false);
  }, 120_000);

  it('preflight: both servers ready passes; an Alertmanager nothing answers at is one line naming its flag', async () => {
    await checkExistingMonitoring({ prometheusUrl: prometheus.url, alertmanagerUrl: alertmanager.url });
    const closed = createServer();
    const port = await listenOnLoopback(closed);
    await new Promise((r) => closed.close(r));
    await expect(
      checkExistingMonitoring({ prometheusUrl: prometheus.url, alertmanagerUrl: `http://127.0.0.1:${port}` }),
    ).rejects.toThrow(
      new UserError(
        `--alertmanager-url: Alertmanager at http://127.0.0.1:${port} is not ready (/-/ready: connect ECONNREFUSED 127.0.0.1:${port})`,
      ),
    );
  });
});

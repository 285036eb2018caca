/**
 * `pnpm scenario --prometheus-url --alertmanager-url` on the real local platform: alert state
 * comes from a Prometheus the user runs with their own rules (here one that never fires), not
 * from a Prometheus of firedrill's with the fixture rules, which would detect the outage.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { Ledger } from '../core/ledger.ts';
import { silentLogger } from '../core/log.ts';
import { freePort } from '../core/ports.ts';
import { prometheusInstalled, type RunningPrometheus, startPrometheus } from '../detection/prometheus.ts';
import {
  alertmanagerInstalled,
  type RunningAlertmanager,
  startAlertmanager,
} from '../detection/testing-alertmanager.ts';
import { runRecordSchema } from '../report/record.ts';
import { runCli, tempStateDir } from './testing.ts';

const installed = prometheusInstalled() && alertmanagerInstalled();
if (!installed) {
  const msg = 'prometheus or prometheus-alertmanager not installed: the existing-monitoring drill';
  if (process.env.CI) throw new Error(`${msg} cannot run and CI is set`);
  process.stderr.write(`SKIPPED: ${msg} is skipped\n`);
}

/** The user's rule for the alert the scenario waits for: it never fires. */
const NEVER_FIRES = {
  groups: [{ name: 'user', rules: [{ alert: 'DatabaseUnreachable', expr: 'vector(1) > 2', for: '1s' }] }],
};

/** db-outage, waiting 10 s for detection instead of 5 min: not-detected is the expected end. */
const SCENARIO = `export default {
  name: 'db-outage-user-rules',
  title: 'Database down, detected by the user rules',
  severity: 'critical',
  runbook: { section: 'database' },
  fault: { kind: 'dependency-down', workload: 'agent-agency-postgres', mode: 'kill' },
  detection: { alerts: ['DatabaseUnreachable'], timeoutMs: 10000 },
};
`;

describe.skipIf(!installed)('pnpm scenario with existing monitoring (local platform)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'firedrill-user-mon-'));
  const ledger = Ledger.open(join(dir, 'ledger'), 'user-monitoring');
  let receiverPort: number;
  let alertmanager: RunningAlertmanager;
  let prometheus: RunningPrometheus;

  beforeAll(async () => {
    receiverPort = await freePort();
    alertmanager = await startAlertmanager({
      dir: join(dir, 'am'),
      webhookUrl: `http://127.0.0.1:${receiverPort}/`,
    });
    writeFileSync(join(dir, 'rules.yml'), stringify(NEVER_FIRES));
    prometheus = await startPrometheus({
      targets: [],
      profile: 'fast',
      stateDir: dir,
      ledger,
      log: silentLogger,
      rulesFile: join(dir, 'rules.yml'),
      alertmanagerUrl: alertmanager.url,
    });
  }, 90_000);

  afterAll(async () => {
    await prometheus?.stop();
    await alertmanager?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('a user rule that never fires: not-detected, exit 1, no page, the receiver on the port asked for', async () => {
    const state = tempStateDir();
    const reports = join(state, 'reports');
    const scenario = join(state, 'db-outage-user-rules.ts');
    writeFileSync(scenario, SCENARIO);
    const run = runCli(
      'scenario.ts',
      [
        scenario,
        '--reports',
        reports,
        '--prometheus-url',
        prometheus.url,
        '--alertmanager-url',
        alertmanager.url,
        '--page-receiver-port',
        String(receiverPort),
      ],
      { FIREDRILL_STATE_DIR: state },
    );
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toContain(`page receiver: http://127.0.0.1:${receiverPort}/`);
    const [file] = readdirSync(join(reports, 'runs')).filter((f) => f.endsWith('.json'));
    const record = runRecordSchema.parse(JSON.parse(readFileSync(join(reports, 'runs', file!), 'utf8')));
    expect(record.outcome).toBe('not-detected');
    expect(record.detectionSource).toBe(`prometheus at ${prometheus.url}`);
    expect(record.alertProfile).toBe('production');
    expect(record.metrics.mttdMs).toBeNull();
    expect(record.metrics.mttdPageMs).toBeNull();
    expect(record.limitations.join('\n')).toContain(`pages through the Alertmanager at ${alertmanager.url}`);
    expect(readFileSync(join(reports, 'latest.md'), 'utf8')).toContain(
      'MTTD to page (Alertmanager notification)',
    );
  }, 300_000);
});

it('--dry-run says where alert state and pages would come from, and contacts neither', async () => {
  // nothing listens at either address: a dry run that contacted them would fail
  const run = runCli(
    'scenario.ts',
    [
      'db-outage',
      '--dry-run',
      '--prometheus-url',
      'http://192.0.2.1:9090/',
      '--alertmanager-url',
      'http://192.0.2.1:9093',
    ],
    { FIREDRILL_STATE_DIR: tempStateDir() },
  );
  expect(await run.exited).toBe(0);
  expect(run.stdout()).toContain(
    'monitoring: alert state from the Prometheus at http://192.0.2.1:9090 and its own rules; pages from the Alertmanager at http://192.0.2.1:9093 to a receiver at a free loopback port (nothing contacted)',
  );
});

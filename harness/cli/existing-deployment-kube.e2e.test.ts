/**
 * `kube: { existing: true }`: a team's system as already deployed is drilled in place — the
 * harness snapshots, injects, runs the runbook and restores its own snapshot, and never applies
 * manifests. The deployed system differs from the fixture manifests on purpose: its orchestrator
 * logs at LOG_LEVEL=debug where the manifests say info. A drill that applied them would leave
 * info; one that restores what it found leaves debug.
 *
 * Not a replica count: the orchestrator's HorizontalPodAutoscaler (minReplicas 3) owns it and
 * scales a 2 back to 3 within its 15 s sync, so "2 before, 2 after" only held when the drill
 * happened to finish between two syncs (that race failed one CI run).
 *
 * Needs FIREDRILL_KUBE=1 and the cluster (`pnpm cluster up`); skipped loudly otherwise.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../config/schema.ts';
import { runRecordSchema } from '../report/record.ts';
import { ClusterReader, type ClusterState, clusterChanges } from './kube-footprint.ts';
import { REPO, runCli, tempStateDir } from './testing.ts';

const enabled = process.env['FIREDRILL_KUBE'] === '1';
if (!enabled)
  console.warn(
    'SKIPPED: drilling an existing deployment needs a real cluster. Run `pnpm cluster up`, then FIREDRILL_KUBE=1 pnpm exec vitest run harness/cli/existing-deployment-kube.e2e.test.ts',
  );

const FIXTURE = join(REPO, 'fixtures/agent-agency');
const ORCHESTRATOR = 'agent-agency-orchestrator';
const SETTLE_MS = 300_000;
/** The orchestrator's LOG_LEVEL as deployed for this test, and as the manifests declare it. */
const DEPLOYED_LEVEL = 'debug';
const MANIFEST_LEVEL = 'info';

/** Agent Agency's config, paths made absolute, declaring the deployment as existing. */
async function existingConfig(dir: string): Promise<string> {
  const base = (await import(join(FIXTURE, 'firedrill.config.ts'))).default as ConfigInput;
  const at = (p: string) => resolve(FIXTURE, p);
  const { local: _local, ...rest } = base;
  const config: ConfigInput = {
    ...rest,
    kube: { existing: true },
    scenarios: at(base.scenarios),
    runbook: at(base.runbook),
    ...(base.alerts
      ? {
          alerts: {
            source: at(base.alerts.source),
            rules: { fast: at(base.alerts.rules.fast), production: at(base.alerts.rules.production) },
          },
        }
      : {}),
    faults: (base.faults ?? []).map(at),
  };
  const file = join(dir, 'firedrill.config.ts');
  writeFileSync(file, `export default ${JSON.stringify(config, null, 2)};\n`);
  return file;
}

describe.skipIf(!enabled)('drilling an existing deployment (kube: { existing: true })', () => {
  let cluster: ClusterReader;
  const container = (s: ClusterState) =>
    (
      s.workloads.get(`deployment/${ORCHESTRATOR}`) as
        | { spec?: { template?: { spec?: { containers?: { env?: { name: string; value?: string }[] }[] } } } }
        | undefined
    )?.spec?.template?.spec?.containers?.[0];
  const logLevel = (s: ClusterState) => container(s)?.env?.find((e) => e.name === 'LOG_LEVEL')?.value;
  /** Sets the orchestrator's LOG_LEVEL, guarded by a test op so it never writes another variable. */
  const setLogLevel = async (level: string) => {
    const env = container(await cluster.capture())?.env ?? [];
    const i = env.findIndex((e) => e.name === 'LOG_LEVEL');
    if (i < 0) throw new Error(`${ORCHESTRATOR} has no LOG_LEVEL env (fixtures/k8s changed?)`);
    const path = `/spec/template/spec/containers/0/env/${i}`;
    await cluster.api.patchDeployment(ORCHESTRATOR, [
      { op: 'test', path: `${path}/name`, value: 'LOG_LEVEL' },
      { op: 'replace', path: `${path}/value`, value: level },
    ]);
  };
  const settled = (s: ClusterState, level: string) => s.unready.length === 0 && logLevel(s) === level;

  beforeAll(async () => {
    cluster = new ClusterReader('agent-agency');
    await cluster.ensureDeployed(join(REPO, 'fixtures/k8s'));
    await setLogLevel(DEPLOYED_LEVEL);
  }, 600_000);

  afterAll(async () => {
    // back to what the manifests declare, rolled out, for whatever runs next
    await setLogLevel(MANIFEST_LEVEL);
    await cluster.captureUntil(SETTLE_MS, (s) => settled(s, MANIFEST_LEVEL));
  }, SETTLE_MS + 60_000);

  it('drills db-outage in place: resolved by the runbook, its own snapshot restored, nothing applied', async () => {
    const before = await cluster.captureUntil(SETTLE_MS, (s) => settled(s, DEPLOYED_LEVEL));
    expect(before.unready).toEqual([]);
    expect(logLevel(before)).toBe(DEPLOYED_LEVEL);

    const state = tempStateDir();
    const reports = join(state, 'reports');
    mkdirSync(reports, { recursive: true });
    const config = await existingConfig(state);
    const args = ['db-outage', '--platform', 'kube', '--config', config, '--reports', reports, '--json'];
    const run = runCli('scenario.ts', args, { FIREDRILL_STATE_DIR: state });
    const code = await run.exited;
    const [record] = JSON.parse(run.stdout() || '[]') as unknown[];
    expect(record, run.stderr().slice(-3000)).toBeDefined();
    const r = runRecordSchema.parse(record);
    expect(r.outcome, run.stderr().slice(-3000)).toBe('resolved-by-runbook');
    expect(r.restore.ok).toBe(true);
    expect(code).toBe(0);

    // what the drill found is what it left: debug logging, not the manifests' info
    const after = await cluster.captureUntil(SETTLE_MS, (s) => clusterChanges(before, s).length === 0);
    expect(clusterChanges(before, after)).toEqual([]);
    expect(logLevel(after)).toBe(DEPLOYED_LEVEL);
  }, 900_000);
});

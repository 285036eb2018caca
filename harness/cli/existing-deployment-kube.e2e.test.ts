/**
 * `kube: { existing: true }`: a team's system as already deployed is drilled in place — the
 * harness snapshots, injects, runs the runbook and restores its own snapshot, and never applies
 * manifests. The deployed system differs from the fixture manifests on purpose (the
 * orchestrator scaled to 2 of the manifests' 3 replicas): a drill that applied them would leave
 * 3; one that restores what it found leaves 2.
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
  const scale = (replicas: number) =>
    cluster.api.apps.replaceNamespacedDeploymentScale({
      name: ORCHESTRATOR,
      namespace: cluster.namespace,
      body: { metadata: { name: ORCHESTRATOR, namespace: cluster.namespace }, spec: { replicas } },
    });
  const replicas = (s: ClusterState) =>
    (s.workloads.get(`deployment/${ORCHESTRATOR}`) as { spec?: { replicas?: number } } | undefined)?.spec
      ?.replicas;

  beforeAll(async () => {
    cluster = new ClusterReader('agent-agency');
    await cluster.ensureDeployed(join(REPO, 'fixtures/k8s'));
    await scale(2);
  }, 600_000);

  afterAll(async () => {
    await scale(3); // back to the manifests' count for the next file
  });

  it('drills db-outage in place: resolved by the runbook, its own snapshot restored, nothing applied', async () => {
    const before = await cluster.captureUntil(SETTLE_MS, (s) => s.unready.length === 0 && replicas(s) === 2);
    expect(before.unready).toEqual([]);
    expect(replicas(before)).toBe(2);

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

    // what the drill found is what it left: 2 orchestrator replicas, not the manifests' 3
    const after = await cluster.captureUntil(SETTLE_MS, (s) => clusterChanges(before, s).length === 0);
    expect(clusterChanges(before, after)).toEqual([]);
    expect(replicas(after)).toBe(2);
  }, 900_000);
});

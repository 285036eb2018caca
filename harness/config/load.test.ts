/**
 * The target's config: the Agent Agency config loads with every path resolved against its own
 * file, and a bad config is refused with one line naming the file and the field.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../core/errors.ts';
import { kubeManifests, loadConfig, localStackFile } from './load.ts';

const REPO = resolve(import.meta.dirname, '../..');
const FIXTURE = join(REPO, 'fixtures/agent-agency');

/** A config file in a fresh directory (paths in it resolve against that directory). */
function configFile(body: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'fd-config-'));
  const file = join(dir, 'firedrill.config.ts');
  writeFileSync(file, body);
  return file;
}

const valid = {
  name: 'shop',
  namespace: 'shop',
  entry: { service: 'shop-web' },
  checks: { health: '/healthz' },
  scenarios: '.',
  runbook: './firedrill.config.ts',
};
const withFields = (extra: Record<string, unknown>) =>
  `export default ${JSON.stringify({ ...valid, ...extra })};\n`;

const refusal = async (file: string): Promise<string> => {
  const err = await loadConfig(file).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(UserError);
  const message = (err as Error).message;
  expect(message).not.toContain('\n');
  return message;
};

describe('config loading', () => {
  it('follows the root config to Agent Agency and resolves its paths against that file', async () => {
    const t = await loadConfig(join(REPO, 'firedrill.config.ts'));
    expect(t.file).toBe(join(FIXTURE, 'firedrill.config.ts'));
    expect(t.namespace).toBe('agent-agency');
    expect(t.local?.stackFile).toBe(join(FIXTURE, 'local-stack.yaml'));
    expect(t.kube).toEqual({ manifests: join(REPO, 'fixtures/k8s') });
    expect(t.scenarios).toBe(join(REPO, 'scenarios'));
    expect(t.runbook).toBe(join(REPO, 'fixtures/runbook/agent-agency-outage.md'));
    expect(t.alerts?.rules.fast).toBe(join(REPO, 'fixtures/monitoring/rules/fast.yml'));
    expect(t.entry).toEqual({
      service: 'agent-agency-orchestrator',
      publicUrl: 'https://api.agent-agency.com',
      apiKey: { fromEnv: 'API_KEY' },
    });
    expect(t.faultAdapters.map((a) => a.kind)).toEqual(['llm-rate-limit']);
  });

  it('kube: existing: true applies nothing; a platform the config does not declare is refused', async () => {
    const existing = await loadConfig(configFile(withFields({ kube: { existing: true } })));
    expect(kubeManifests(existing)).toBe(false);
    expect(() => localStackFile(existing)).toThrow(
      new UserError(`config ${existing.file} has no local.stackFile: shop cannot be drilled on local`),
    );
    const fixture = await loadConfig(join(FIXTURE, 'firedrill.config.ts'));
    expect(kubeManifests(fixture)).toBe(join(REPO, 'fixtures/k8s'));
    const none = await loadConfig(configFile(withFields({})));
    expect(() => kubeManifests(none)).toThrow(/has no kube section: shop cannot be drilled on kube$/);
  });

  it('fills defaults for what a small config leaves out', async () => {
    const t = await loadConfig(configFile(withFields({})));
    expect(t.checks.dependencies).toEqual([]);
    expect(t.load.mix).toEqual({ status: 3, health: 1, tasks: 1 });
    expect(t.faultAdapters).toEqual([]);
    expect(t.kube).toBeUndefined();
  });

  it('names the file and every bad field', async () => {
    const file = configFile(withFields({ namespace: 'Shop_NS', checks: { health: 'healthz' }, kube: {} }));
    const message = await refusal(file);
    expect(message).toMatch(new RegExp(`^invalid config ${file}: `));
    expect(message).toMatch(/namespace: a Kubernetes namespace name/);
    expect(message).toMatch(/checks\.health: an HTTP path starting with \//);
    expect(message).toMatch(/kube: /);
  });

  it('refuses an unknown field rather than ignoring it', async () => {
    expect(await refusal(configFile(withFields({ namepsace: 'shop' })))).toMatch(/namepsace/);
  });

  it('names a path that does not exist, resolved against the config file', async () => {
    const file = configFile(withFields({ runbook: './missing.md' }));
    expect(await refusal(file)).toBe(
      `invalid config ${file}: runbook: ${join(file, '..', 'missing.md')} not found`,
    );
  });

  it('refuses a fault module that is not a fault adapter', async () => {
    const file = configFile(withFields({ faults: ['./firedrill.config.ts'] }));
    expect(await refusal(file)).toBe(
      `invalid config ${file}: faults.0: ./firedrill.config.ts has no default export defineFaultAdapter({ kind, create })`,
    );
  });

  it('says so for a missing file, a missing default export and a config pointing back to itself', async () => {
    expect(await refusal('/nonexistent/firedrill.config.ts')).toMatch(/^config file not found: /);
    expect(await refusal(configFile('export const x = 1;\n'))).toMatch(/no default export/);
    expect(await refusal(configFile("export default './firedrill.config.ts';\n"))).toMatch(
      /points back to itself/,
    );
  });
});

/**
 * `pnpm scenario --config`: the system comes from its config file, and a config that cannot
 * drill a scenario is refused in one line, exit 2, before anything is written. Seen through
 * --list and --dry-run, so nothing starts.
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliResult, REPO } from './testing.ts';

const cli = (...args: string[]) => cliResult('scenario.ts', ...args);

/** Agent Agency's config with `change` applied, in a fresh directory (absolute paths: it lives elsewhere). */
function variant(change: Record<string, unknown>, scenarios = join(REPO, 'scenarios')): string {
  const dir = mkdtempSync(join(tmpdir(), 'fd-scn-config-'));
  const config = {
    name: 'variant',
    namespace: 'agent-agency',
    local: { stackFile: join(REPO, 'fixtures/agent-agency/local-stack.yaml') },
    entry: { service: 'agent-agency-orchestrator', publicUrl: 'https://api.agent-agency.com' },
    checks: {
      health: '/health',
      dependencies: ['/health/database'],
      records: '/v1/tasks',
      functional: '/v1/audit',
    },
    scenarios,
    runbook: join(REPO, 'fixtures/runbook/agent-agency-outage.md'),
    ...change,
  };
  const file = join(dir, 'firedrill.config.ts');
  writeFileSync(file, `export default ${JSON.stringify(config)};\n`);
  return file;
}

describe('pnpm scenario --config', () => {
  it('defaults to the root config: Agent Agency and its five scenarios', () => {
    const r = cli('--list');
    expect(r.code).toBe(0);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(' ')[0]),
    ).toEqual(['crash-loop', 'db-outage', 'llm-rate-limit', 'network-partition', 'resource-exhaustion']);
  }, 90_000);

  it("--list lists the config's own scenario dir", () => {
    const dir = mkdtempSync(join(tmpdir(), 'fd-scenarios-'));
    mkdirSync(join(dir, 'scenarios'));
    writeFileSync(
      join(dir, 'scenarios', 'cache-down.ts'),
      `import { defineScenario } from '${join(REPO, 'harness/scenario/schema.ts')}';
export default defineScenario({ name: 'cache-down', title: 'Cache lost', severity: 'high',
  runbook: { section: 'redis' }, fault: { kind: 'dependency-down', workload: 'agent-agency-redis' },
  detection: { alerts: ['RedisDown'] } });\n`,
    );
    const r = cli('--config', variant({}, join(dir, 'scenarios')), '--list');
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^cache-down\s+high\s+Cache lost\n$/);
  }, 90_000);

  it('a bad config: one line naming file and field, exit 2, no reports written', () => {
    const file = variant({ checks: { health: 'health' } });
    const reports = join(mkdtempSync(join(tmpdir(), 'fd-reports-')), 'reports');
    const r = cli('db-outage', '--config', file, '--reports', reports);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `firedrill: error: invalid config ${file}: checks.health: an HTTP path starting with /, e.g. /health\n`,
    );
    expect(existsSync(reports)).toBe(false);
  }, 90_000);

  it('refuses a scenario whose checks need a route the config does not give', () => {
    const file = variant({ checks: { health: '/health' } });
    const r = cli('db-outage', '--config', file, '--dry-run');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `firedrill: error: scenario db-outage: verification.checks need checks.records, checks.functional, which config ${file} does not set\n`,
    );
  }, 90_000);

  it('refuses a platform the config does not declare, before contacting anything', () => {
    const file = variant({});
    const r = cli('db-outage', '--config', file, '--platform', 'kube', '--dry-run');
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr: `firedrill: error: config ${file} has no kube section: variant cannot be drilled on kube\n`,
    });
  }, 90_000);

  it('refuses the built-in probes for a system that does not declare them', () => {
    const file = variant({});
    const r = cli('db-outage', '--config', file, '--detection', 'probes', '--dry-run');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `firedrill: error: config ${file} declares no probes, so variant needs Prometheus for detection: apt-get install prometheus, set FIREDRILL_PROMETHEUS_BIN, or pass --prometheus-url\n`,
    );
    expect(
      cli('db-outage', '--config', variant({ probes: {} }), '--detection', 'probes', '--dry-run').code,
    ).toBe(0);
  }, 90_000);

  it('refuses a fault kind the config brings no adapter for', () => {
    const r = cli('llm-rate-limit', '--config', variant({}), '--dry-run');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^firedrill: error: fault llm-rate-limit: the target's config names no fault adapter/,
    );
  }, 90_000);

  it("--dry-run maps the config's public URL in the runbook's steps", () => {
    const r = cli('db-outage', '--dry-run');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('https://api.agent-agency.com');
    expect(r.stdout).toContain('runbook: ' + join(REPO, 'fixtures/runbook/agent-agency-outage.md'));
  }, 90_000);
});

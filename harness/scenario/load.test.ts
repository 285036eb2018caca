import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../core/errors.ts';
import { listScenarioNames, loadScenario } from './load.ts';

const schemaPath = resolve('harness/scenario/schema.ts');

describe('scenario loading', () => {
  it('lists the five scenarios', () => {
    expect(listScenarioNames()).toEqual([
      'crash-loop',
      'db-outage',
      'llm-rate-limit',
      'network-partition',
      'resource-exhaustion',
    ]);
  });

  it('loads every scenario with the runbook KPI targets as defaults', async () => {
    for (const name of listScenarioNames()) {
      const s = await loadScenario(name);
      expect(s.name).toBe(name);
      expect(s.targets).toEqual({ mttdMs: 300_000, mttrMs: 1_800_000 });
    }
  });

  it("takes the config's targets where a scenario sets none, its own field by field where it does", async () => {
    const s = await loadScenario('db-outage', undefined, { targets: { mttdMs: 60_000 } });
    expect(s.targets).toEqual({ mttdMs: 60_000, mttrMs: 1_800_000 });
    const dir = mkdtempSync(join(tmpdir(), 'fd-scn-'));
    const file = join(dir, 'own.ts');
    writeFileSync(
      file,
      `import { defineScenario } from '${schemaPath}';
export default defineScenario({ name: 'own', title: 'x', severity: 'low', runbook: { section: 'x' },
  fault: { kind: 'none' }, detection: { alerts: ['A'] }, targets: { mttrMs: 120000 } });`,
    );
    const own = await loadScenario(file, undefined, { targets: { mttdMs: 60_000, mttrMs: 600_000 } });
    expect(own.targets).toEqual({ mttdMs: 60_000, mttrMs: 120_000 });
  });

  it('names the available scenarios for an unknown one', async () => {
    await expect(loadScenario('nope')).rejects.toThrow(
      /unknown scenario "nope"; available: crash-loop, db-outage/,
    );
  });

  it('names the file and the bad field of an invalid scenario', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fd-scn-'));
    const file = join(dir, 'bad.ts');
    writeFileSync(
      file,
      `import { defineScenario } from '${schemaPath}';
export default defineScenario({ name: 'bad', title: 'x', severity: 'critical', runbook: { section: 'x' },
  fault: { kind: 'dependency-down', workload: 'db', mode: 'explode' }, detection: { alerts: [] } } as never);`,
    );
    const err = await loadScenario(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toMatch(/fault\.mode: /);
    expect((err as Error).message).toMatch(/detection\.alerts: /);
  });
});

/**
 * The fixture runbook and the scenarios' extra steps show what an on-call engineer could do
 * from the symptoms. They must not know the harness: no `firedrill-*` object names, and none of
 * the values a fault sets (the env a bad rollout sets, the limits a pressure fault sets). A
 * runbook that deletes the harness's own policy by name, or sets back the exact value the fault
 * broke, proves nothing about a real outage.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listScenarioNames, loadScenario } from '../harness/scenario/load.ts';

const root = join(import.meta.dirname, '..');
const RUNBOOK = join(root, 'fixtures', 'runbook', 'agent-agency-outage.md');
const scenarios = await Promise.all(
  listScenarioNames(import.meta.dirname).map((n) => loadScenario(n, import.meta.dirname)),
);

/** The strings a fault's definition chose: env names and values, resource quantities, policy names. */
function faultValues(fault: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown, key: string) => {
    if (typeof v === 'string') {
      // which workload breaks and how are the symptoms' own words, not knowledge of the fault
      if (!['kind', 'mode', 'workload', 'from', 'to'].includes(key)) out.push(v);
    } else if (Array.isArray(v)) for (const x of v) walk(x, key);
    else if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        if (key === 'env') out.push(k); // the variable a bad rollout breaks is the fault's choice too
        walk(x, k);
      }
  };
  walk(fault, '');
  return out;
}

/** A value as a whole word: "24Mi" must not match inside "124Mi", "10" not inside "100m". */
const mentions = (text: string, value: string) =>
  new RegExp(`(^|[^\\w.-])${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\w.-])`).test(text);

describe('knowing nothing of the harness', () => {
  const runbook = readFileSync(RUNBOOK, 'utf8');

  it('collects the faults values it checks for (so the checks below check something)', () => {
    const all = scenarios.flatMap((s) => faultValues(s.fault));
    expect(all).toEqual(expect.arrayContaining(['DB_POOL_MAX', 'not-a-number', '24Mi']));
    expect(mentions('set env X DB_POOL_MAX=10', 'DB_POOL_MAX')).toBe(true);
    expect(mentions('--limits=memory=124Mi', '24Mi')).toBe(false);
  });

  it('the fixture runbook names no firedrill-* object', () => {
    expect(runbook).not.toMatch(/firedrill-/i);
  });

  it.each(scenarios.map((s) => [s.name, s] as const))(
    'the fixture runbook copies no value of the %s fault',
    (_, s) => {
      for (const value of faultValues(s.fault)) expect(mentions(runbook, value), value).toBe(false);
    },
  );

  it.each(scenarios.map((s) => [s.name, s] as const))(
    "%s: the scenario's extra steps use no firedrill-* name and no value of its fault",
    (_, s) => {
      const steps = JSON.stringify(s.remediation.extraSteps);
      expect(steps).not.toMatch(/firedrill-/i);
      for (const value of faultValues(s.fault)) expect(mentions(steps, value), value).toBe(false);
    },
  );
});

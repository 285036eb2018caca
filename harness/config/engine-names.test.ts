/**
 * The engine names no system: outside tests and test helpers, nothing under harness/ mentions
 * Agent Agency. Its facts live in fixtures/agent-agency/firedrill.config.ts. This is the issue's
 * done-when grep, run as a test so a new hard-coded name fails the suite.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { expect, it } from 'vitest';

const HARNESS = resolve(import.meta.dirname, '..');
const NAMES = /agent-agency|agent_agency/i;

/** The done-when grep's selection: *.ts under harness/, minus *.test.ts and testing helpers. */
function engineFiles(): string[] {
  return readdirSync(HARNESS, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .filter((f) => !`/${f}`.includes('/testing'));
}

it('no engine file names agent-agency', () => {
  const files = engineFiles();
  expect(files.length).toBeGreaterThan(100); // the walk found the engine, not an empty folder
  const naming = files.filter((f) => NAMES.test(readFileSync(join(HARNESS, f), 'utf8')));
  expect(naming.map((f) => relative(resolve(HARNESS, '..'), join(HARNESS, f)))).toEqual([]);
});

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { renderJUnit } from './junit.ts';
import { HOSTILE, mixedInvocation, repeatInvocation } from './testing/invocations.ts';
import { syntheticHistory } from './testing/synthetic-history.ts';

const XSD = fileURLToPath(new URL('./junit.xsd', import.meta.url));
const XMLLINT = '/usr/bin/xmllint';
const run = promisify(execFile);

/** One <testcase ...>...</testcase> block by classname and name. */
const testcase = (xml: string, classname: string, name: string): string => {
  const start = xml.indexOf(`<testcase classname="${classname}" name="${name}"`);
  if (start === -1) throw new Error(`no testcase ${classname} / ${name}`);
  return xml.slice(start, xml.indexOf('</testcase>', start));
};

describe('renderJUnit()', () => {
  const mixed = renderJUnit(mixedInvocation(), { hostname: 'ci-runner' });

  it('writes one testsuite with one testcase per scenario run, counted', () => {
    expect(mixed.match(/<testsuite /g)).toHaveLength(1);
    expect(mixed.match(/<testcase /g)).toHaveLength(9);
    // failures: extra steps needed, unresolved, not-detected, self-healed, control with a false
    // positive, slow (targets).
    expect(mixed).toContain('<testsuite name="firedrill" tests="9" failures="6" errors="1" skipped="0"');
    expect(mixed).toContain('timestamp="2026-02-02T02:00:00" hostname="ci-runner"');
  });

  it('names cases firedrill.<scenario> / run k of n, with time in seconds', () => {
    const first = testcase(mixed, 'firedrill.db-outage', 'run 1 of 2');
    // preflight 20 s + steady 10 s + MTTD 60 s + remediation delay 5 s + 2 steps of 2 s, recovered at 180 s
    // after injection, restore 4 s: the run spans 30 + 180 + 4 = 214 s.
    expect(first).toMatch(/time="214\.000"/);
    expect(first).not.toContain('<failure');
    // the scenario's extra steps brought it back, not the runbook: a failed drill
    expect(testcase(mixed, 'firedrill.crash-loop', 'run 1 of 2')).toContain(
      '<failure type="outcome" message="runbook did not resolve it: 1 extra step supplied by the scenario; the system came back with them">',
    );
  });

  it('fails a run whose outcome is not resolved, or that missed a target', () => {
    expect(testcase(mixed, 'firedrill.llm-rate-limit', 'run 1 of 1')).toContain(
      '<failure type="outcome" message="outcome unresolved">',
    );
    expect(testcase(mixed, 'firedrill.network-partition', 'run 1 of 1')).toContain(
      'message="outcome not-detected"',
    );
    expect(testcase(mixed, 'firedrill.crash-loop', 'run 2 of 2')).toContain('message="outcome self-healed"');
    expect(testcase(mixed, 'firedrill.db-outage', 'run 2 of 2')).toContain(
      '<failure type="target-missed" message="MTTD 6m 40s missed target &lt; 5m 00s">',
    );
  });

  it('fails a control run when anything fired, and marks an aborted run as an error', () => {
    expect(testcase(mixed, 'firedrill.control', 'run 1 of 2')).not.toContain('<failure');
    expect(testcase(mixed, 'firedrill.control', 'run 2 of 2')).toContain(
      '<failure type="false-positive" message="false positive: APIResponseTimeDegraded fired with no fault injected">',
    );
    expect(testcase(mixed, 'firedrill.resource-exhaustion', 'run 1 of 1')).toContain('<error type="aborted"');
  });

  it('puts the step summary in system-out, escaped', () => {
    const xml = renderJUnit(repeatInvocation(), { hostname: 'h' });
    const run1 = testcase(xml, 'firedrill.db-outage', 'run 1 of 3');
    expect(run1).toContain('<system-out>run db-outage-rep-1 (fault run): outcome resolved-by-runbook');
    expect(run1).toContain(
      '[not-runnable] L154 kubectl exec -it deploy/x -- nc -zv agent-agency-postgres 5432 | head',
    );
    expect(run1).toContain('finding: not runnable here (L154)');
    expect(xml).not.toContain('<script>');
  });
});

describe('JUnit XML against the CI schema (junit.xsd, xmllint)', () => {
  const available = existsSync(XMLLINT);
  if (!available && process.env['CI'])
    it('has xmllint', () => {
      throw new Error(`${XMLLINT} is missing: install the Debian package libxml2-utils`);
    });
  if (!available)
    console.warn(`SKIPPED: JUnit schema validation needs ${XMLLINT} (apt-get install libxml2-utils)`);

  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  const validate = async (xml: string) => {
    const dir = await mkdtemp(join(tmpdir(), 'firedrill-junit-'));
    dirs.push(dir);
    const file = join(dir, 'junit.xml');
    await writeFile(file, xml);
    return run(XMLLINT, ['--noout', '--schema', XSD, file]).then(
      () => ({ ok: true, stderr: '' }),
      (err: { stderr: string }) => ({ ok: false, stderr: err.stderr }),
    );
  };

  it.skipIf(!available)('accepts every kind of run, hostile output included', async () => {
    const withHostileOutput = repeatInvocation().map((r) => ({
      ...r,
      steps: r.steps.map((s) => ({ ...s, command: `${s.command} ${HOSTILE}`, error: HOSTILE })),
    }));
    for (const records of [
      mixedInvocation(),
      withHostileOutput,
      syntheticHistory({ startMs: Date.UTC(2026, 0, 5), days: 14 }),
    ]) {
      const result = await validate(renderJUnit(records));
      expect(result.stderr).toBe('');
      expect(result.ok).toBe(true);
    }
  });

  it.skipIf(!available)('rejects a document that breaks the format (the check can fail)', async () => {
    const broken = renderJUnit(mixedInvocation()).replace(/ time="[^"]*"/, ' time="about a minute"');
    const result = await validate(broken);
    expect(result.ok).toBe(false);
    expect(result.stderr).toMatch(/time.*not a valid value|fails to validate/);
  });
});

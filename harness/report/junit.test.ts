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

/** Every (classname, name) pair of the document's test cases. */
const caseNames = (xml: string) =>
  [...xml.matchAll(/<testcase classname="([^"]+)" name="([^"]+)"/g)].map((m) => `${m[1]} / ${m[2]}`);

describe('renderJUnit()', () => {
  const mixed = renderJUnit(mixedInvocation(), { hostname: 'ci-runner' });
  const repeat = renderJUnit(repeatInvocation(), { hostname: 'h' });

  it('writes one case per scenario and kind of run, and one per executed runbook step, counted', () => {
    expect(mixed.match(/<testsuite /g)).toHaveLength(1);
    const scenarioCases = caseNames(mixed).filter((n) => !n.includes('.runbook /'));
    expect(scenarioCases).toEqual([
      'firedrill.db-outage / memory/fast',
      'firedrill.crash-loop / memory/fast',
      'firedrill.llm-rate-limit / memory/fast',
      'firedrill.network-partition / memory/fast',
      'firedrill.resource-exhaustion / memory/fast',
      'firedrill.control / memory/fast control',
    ]);
    // every case is unique: a reporter keys its history on classname + name
    expect(new Set(caseNames(mixed)).size).toBe(caseNames(mixed).length);
    const total = caseNames(mixed).length;
    expect(mixed).toContain(
      `<testsuite name="firedrill" tests="${total}" failures="6" errors="1" skipped="0"`,
    );
    expect(mixed).toContain('timestamp="2026-02-02T02:00:00" hostname="ci-runner"');
  });

  it('keeps the same case names whatever --repeat was: repeats are one case with their distribution', () => {
    const once = renderJUnit(repeatInvocation().slice(0, 1), { hostname: 'h' });
    expect(caseNames(once)).toEqual(caseNames(repeat));
    const db = testcase(repeat, 'firedrill.db-outage', 'memory/fast');
    // MTTD 60, 120, 600 s; MTTR 300, 600, 2400 s
    for (const [name, value] of [
      ['runs', '3'],
      ['outcome', 'resolved-by-runbook x3'],
      ['mttd.n', '3'],
      ['mttd.meanMs', '260000'],
      ['mttd.p50Ms', '120000'],
      ['mttd.minMs', '60000'],
      ['mttd.maxMs', '600000'],
      ['mttr.p50Ms', '600000'],
      ['mttr.maxMs', '2400000'],
      ['targetMttdMs', '300000'],
    ])
      expect(db).toContain(`<property name="${name}" value="${value}"/>`);
    expect(db).toContain(
      '<failure type="target-missed" message="run 3 of 3: MTTD 10m 00s missed target &lt; 5m 00s; MTTR 40m 00s missed target &lt; 30m 00s">',
    );
    const single = testcase(once, 'firedrill.db-outage', 'memory/fast');
    expect(single).toContain('<property name="mttdMs" value="60000"/>');
    expect(single).not.toContain('<failure');
    expect(single).not.toContain('mttdPage'); // no Alertmanager watched: no page to time
  });

  it('times the page beside MTTD for runs that watched an Alertmanager', () => {
    const [first, ...rest] = repeatInvocation();
    const paged = { ...first!, metrics: { ...first!.metrics, mttdPageMs: 75_000 } };
    const db = testcase(
      renderJUnit([paged, ...rest], { hostname: 'h' }),
      'firedrill.db-outage',
      'memory/fast',
    );
    expect(db).toContain('<property name="mttdPage.n" value="1"/>');
    expect(db).toContain('<property name="mttdPage.meanMs" value="75000"/>');
  });

  it('fails a scenario case whose outcome is not resolved, or that missed a target', () => {
    expect(testcase(mixed, 'firedrill.llm-rate-limit', 'memory/fast')).toContain(
      '<failure type="outcome" message="outcome unresolved">',
    );
    expect(testcase(mixed, 'firedrill.network-partition', 'memory/fast')).toContain(
      'message="outcome not-detected"',
    );
    const crash = testcase(mixed, 'firedrill.crash-loop', 'memory/fast');
    expect(crash).toContain('run 1 of 2: runbook did not resolve it');
    expect(crash).toContain('run 2 of 2: outcome self-healed');
    expect(testcase(mixed, 'firedrill.db-outage', 'memory/fast')).toContain(
      '<failure type="target-missed" message="run 2 of 2: MTTD 6m 40s missed target &lt; 5m 00s">',
    );
  });

  it('fails a control case when anything fired, and marks an aborted run as an error', () => {
    expect(testcase(mixed, 'firedrill.control', 'memory/fast control')).toContain(
      '<failure type="false-positive" message="run 2 of 2: false positive: APIResponseTimeDegraded fired with no fault injected">',
    );
    expect(testcase(mixed, 'firedrill.resource-exhaustion', 'memory/fast')).toContain(
      '<error type="aborted"',
    );
  });

  it('gives each executed runbook step a case that fails with its file:line and finding', () => {
    const exec = testcase(
      repeat,
      'firedrill.db-outage.runbook',
      'agent-agency-outage.md:154 kubectl exec -it deploy/x -- nc -zv agent-agency-postgres 5432 | head',
    );
    expect(exec).toContain(
      '<failure type="not-runnable" message="run 1 of 3: fixtures/runbook/agent-agency-outage.md:154: not runnable here: no kubectl exec on local">',
    );
    expect(exec).toContain('<property name="status" value="not-runnable"/>');
    const ok = testcase(
      repeat,
      'firedrill.db-outage.runbook',
      'agent-agency-outage.md:160 kubectl rollout restart deployment/agent-agency-postgres -n agent-agency',
    );
    expect(ok).not.toContain('<failure');
    expect(ok).toContain('<property name="kind" value="remediation"/>');
  });

  it("puts each run's step summary in the scenario case's system-out, escaped", () => {
    const db = testcase(repeat, 'firedrill.db-outage', 'memory/fast');
    expect(db).toContain('<system-out>run db-outage-rep-1 (fault run): outcome resolved-by-runbook');
    expect(db).toContain('run db-outage-rep-3 (fault run)');
    expect(db).toContain(
      '[not-runnable] L154 kubectl exec -it deploy/x -- nc -zv agent-agency-postgres 5432 | head',
    );
    expect(db).toContain('finding: not runnable here (L154)');
    expect(repeat).not.toContain('<script>');
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

/**
 * The hostile fixture runbook: every destructive or out-of-scope step is an error on its own
 * line, and the runbooks firedrill really drills get no false errors from these rules.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lintRunbook } from './lint.ts';
import { runbookNamespace } from './lint-safety-rules.ts';
import { parseRunbook } from './parse.ts';

const fixturePath = (rel: string) => new URL(`../../fixtures/${rel}`, import.meta.url).pathname;
const HOSTILE = fixturePath('runbook/defects/hostile.md');
const FIXTURE = fixturePath('runbook/agent-agency-outage.md');
const REFERENCE = new URL('../../../shared/reference/api-outage-runbook.md', import.meta.url).pathname;
const text = readFileSync(HOSTILE, 'utf8');
const lineOf = (marker: string): number => {
  const i = text.split('\n').findIndex((l) => l.includes(marker));
  if (i < 0) throw new Error(`marker not in file: ${marker}`);
  return i + 1;
};
const SAFETY = new Set([
  'secret-read',
  'secret-list',
  'foreign-namespace',
  'cloud-metadata',
  'config-override',
  'substitution-runs',
  'step-file-write',
  'step-host-program',
  'step-outside-drill',
  'step-scale-cap',
  'cluster-delete',
  'rm-rf',
]);

describe('hostile runbook', () => {
  const findings = lintRunbook(parseRunbook(text, HOSTILE)).filter((f) => SAFETY.has(f.rule));
  const got = findings.map((f) => [f.rule, f.line, f.severity]);

  it('reports each destructive or out-of-scope step on its line, and nothing else', () => {
    const expected: [string, number, string][] = [
      ['secret-read', lineOf('-o yaml'), 'error'],
      ['secret-read', lineOf('{.data.password}'), 'error'],
      ['secret-read', lineOf('describe secret'), 'error'],
      ['secret-read', lineOf('get secrets -A'), 'error'],
      ['secret-list', lineOf('get secrets -n agent-agency'), 'info'],
      ['foreign-namespace', lineOf('-n kube-system'), 'error'],
      ['foreign-namespace', lineOf('--all-namespaces'), 'error'],
      ['cloud-metadata', lineOf('169.254.169.254'), 'error'],
      ['cloud-metadata', lineOf('metadata.google.internal'), 'error'],
      ['cloud-metadata', lineOf('fd00:ec2::254'), 'error'],
      ['config-override', lineOf('--kubeconfig='), 'error'],
      ['config-override', lineOf('--server='), 'error'],
      ['config-override', lineOf('--context='), 'error'],
      ['config-override', lineOf('--token='), 'error'],
      ['config-override', lineOf('KUBECONFIG='), 'error'],
      ['substitution-runs', lineOf('$(touch'), 'error'],
      ['step-file-write', lineOf('> /tmp/pods.txt'), 'error'],
      ['cluster-delete', lineOf('delete namespace'), 'error'],
      ['cluster-delete', lineOf('delete node'), 'error'],
      ['cluster-delete', lineOf('delete clusterrolebinding'), 'error'],
      ['cluster-delete', lineOf('delete crd'), 'error'],
      ['cluster-delete', lineOf('delete pv'), 'error'],
      ['cluster-delete', lineOf('delete storageclass'), 'error'],
      ['rm-rf', lineOf('rm -rf /var/lib/postgresql'), 'error'],
      ['rm-rf', lineOf('-- rm -rf'), 'error'],
      ['step-scale-cap', lineOf('--replicas=500'), 'warning'],
      // a host program off the allow-list: --allow-host-commands would let it run
      ['step-host-program', lineOf('psql -h'), 'warning'],
    ];
    const sort = (xs: unknown[][]) => [...xs].sort((a, b) => String(a).localeCompare(String(b)));
    expect(sort(got)).toEqual(sort(expected));
  });

  it('says what to do, and why it matters', () => {
    const msg = (rule: string) => findings.find((f) => f.rule === rule)!.message;
    expect(msg('cluster-delete')).toMatch(/`kubectl delete namespace` deletes a cluster-scoped namespace/);
    expect(msg('foreign-namespace')).toMatch(
      /`-n kube-system` is outside the runbook's namespace agent-agency/,
    );
    expect(msg('substitution-runs')).toMatch(/host program `touch` is not on the allow-list/);
  });

  it("takes the runbook's namespace from the one its steps mostly use", () => {
    expect(runbookNamespace(parseRunbook(text, HOSTILE))).toBe('agent-agency');
  });
});

describe('no false errors on the runbooks firedrill drills', () => {
  if (!existsSync(REFERENCE))
    console.warn(`reference runbook not found at ${REFERENCE}; its safety lint check is skipped`);
  it('fixture runbook: no safety finding at all', () => {
    const findings = lintRunbook(parseRunbook(readFileSync(FIXTURE, 'utf8'), FIXTURE));
    expect(findings.filter((f) => SAFETY.has(f.rule))).toEqual([]);
  });
  it.skipIf(!existsSync(REFERENCE))('reference runbook: listing secret names is a note, nothing more', () => {
    const findings = lintRunbook(parseRunbook(readFileSync(REFERENCE, 'utf8'), REFERENCE));
    expect(findings.filter((f) => SAFETY.has(f.rule)).map((f) => [f.rule, f.severity])).toEqual([
      ['secret-list', 'info'],
    ]);
  });
});

import { existsSync, readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lintRunbook } from './lint.ts';
import { loadManifests, type ManifestIndex } from './manifests.ts';
import { parseRunbook } from './parse.ts';
import { writeManifests } from './testing/manifests.ts';

const fixturePath = (rel: string) => new URL(`../../fixtures/${rel}`, import.meta.url).pathname;
const PLANTED = fixturePath('runbook/defects/planted.md');
const FIXTURE = fixturePath('runbook/agent-agency-outage.md');
// The user's runbook, found relative to the repository root; skipped loudly when absent.
const REFERENCE = fixturePath('../../shared/reference/api-outage-runbook.md');
const haveReference = existsSync(REFERENCE);
if (!haveReference) console.warn(`SKIPPING reference-runbook lint tests: ${REFERENCE} is absent`);

const plantedText = readFileSync(PLANTED, 'utf8');
/** Line of the first source line containing `marker` (1-based), so expectations follow the file. */
const lineOf = (marker: string, text = plantedText): number => {
  const i = text.split('\n').findIndex((l) => l.includes(marker));
  if (i < 0) throw new Error(`marker not in file: ${marker}`);
  return i + 1;
};

let dirs: string[] = [];
let manifests: ManifestIndex;
let redisStatefulSet: ManifestIndex;
beforeAll(async () => {
  dirs = [writeManifests(), writeManifests({ redisKind: 'StatefulSet' })];
  manifests = await loadManifests(dirs[0]!);
  redisStatefulSet = await loadManifests(dirs[1]!);
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('planted defects', () => {
  const expected = (): [string, number][] => [
    ['never-ends', lineOf('kubectl logs -f')],
    ['never-ends', lineOf('kubectl get pods -n agent-agency -w')],
    ['no-namespace', plantedText.split('\n').indexOf('kubectl get pods') + 1],
    ['needs-metrics-server', lineOf('kubectl top pods')],
    ['missing-crd', lineOf('kubectl get virtualservices')],
    ['unknown-selector', lineOf('-l app=orchestrator')],
    ['wrong-namespace', lineOf('-n production')],
    // the runbook otherwise works in agent-agency: another namespace is out of its scope
    ['foreign-namespace', lineOf('-n production')],
    ['mutating-investigation', lineOf('kubectl delete pod -l')],
    // On the continuation line, not the line the command starts on.
    ['gnu-only', lineOf("date -u -d '10 minutes ago'")],
    ['gnu-only', lineOf('grep -P')],
    ['fragile-pod-lookup', lineOf('{.items[0].metadata.name}')],
    ['tty-in-automation', lineOf('kubectl exec -it')],
    ['cloud-cli', lineOf('aws sts')],
    ['no-actionable-fix', lineOf('# Fix the configuration')],
    ['scale-mismatch', lineOf('--replicas=2')],
    ['wrong-kind', lineOf('deployment/agent-agency-redis')],
    ['missing-resource', lineOf('describe hpa')],
    ['unbounded-wait', lineOf('kubectl rollout status deployment/agent-agency-orchestrator')],
    ['no-actionable-fix', lineOf('### Rate limiting')],
    ['undefined-placeholder', lineOf('$COUNCIL_REPLICAS')],
    ['unquoted-glob', lineOf('events?limit=5')],
    ['curl-no-timeout', lineOf('curl -f https://')],
    ['client-no-timeout', lineOf('-- redis-cli -h agent-agency-redis ping')],
    ['client-no-timeout', lineOf('-- nc -z agent-agency-postgres')],
    ['missing-file', lineOf('@timing.txt')],
    ['parse', lineOf('## Appendix notes') + 2],
  ];

  it('reports each planted defect on its line, and nothing else', () => {
    const findings = lintRunbook(parseRunbook(plantedText, PLANTED), { manifests: redisStatefulSet });
    const got = findings.map((f) => [f.rule, f.line] as [string, number]);
    const sort = (xs: [string, number][]) => [...xs].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]));
    expect(sort(got)).toEqual(sort(expected()));
  });

  it('gives severities that decide the exit code', () => {
    const findings = lintRunbook(parseRunbook(plantedText, PLANTED), { manifests: redisStatefulSet });
    const severity = (rule: string) => findings.find((f) => f.rule === rule)?.severity;
    expect(severity('never-ends')).toBe('error');
    expect(severity('wrong-kind')).toBe('error');
    expect(severity('missing-resource')).toBe('error');
    expect(severity('no-actionable-fix')).toBe('error');
    expect(severity('tty-in-automation')).toBe('warning');
    expect(severity('gnu-only')).toBe('warning');
    expect(severity('undefined-placeholder')).toBe('warning');
    expect(severity('curl-no-timeout')).toBe('info');
    expect(severity('client-no-timeout')).toBe('info');
  });

  it('names the kind the manifests use', () => {
    const findings = lintRunbook(parseRunbook(plantedText, PLANTED), { manifests: redisStatefulSet });
    expect(findings.find((f) => f.rule === 'wrong-kind')!.message).toMatch(
      /the manifests define agent-agency-redis as a StatefulSet \(base\/redis\.yaml\), not a deployment/,
    );
  });

  it('without manifests, the manifest rules stay silent', () => {
    const rules = new Set(lintRunbook(parseRunbook(plantedText, PLANTED)).map((f) => f.rule));
    for (const r of [
      'wrong-kind',
      'missing-resource',
      'unknown-selector',
      'wrong-namespace',
      'scale-mismatch',
    ])
      expect(rules.has(r), r).toBe(false);
  });

  it('flags a runbook without the parts a drill needs', () => {
    const rb = parseRunbook('# Notes\n\n## Overview\n\nNothing to run.\n', 'notes.md');
    expect(lintRunbook(rb).map((f) => [f.rule, f.severity])).toEqual([
      ['missing-section', 'error'],
      ['missing-section', 'warning'],
      ['missing-section', 'warning'],
    ]);
  });

  it('warns when an autoscaler will undo a manual scale', async () => {
    const dir = writeManifests({ orchestratorHpa: { min: 3, max: 6 } });
    dirs.push(dir);
    const withHpa = await loadManifests(dir);
    const rb = parseRunbook(
      '# R\n## Resolution\n### Load\n```bash\nkubectl scale deployment/agent-agency-orchestrator --replicas=8 -n agent-agency\nkubectl scale deployment/agent-agency-orchestrator --replicas=4 -n agent-agency\nkubectl scale deployment/agent-agency-orchestrator --replicas=0 -n agent-agency\n```\n',
      'r.md',
    );
    const found = lintRunbook(rb, { manifests: withHpa }).filter((f) => f.rule === 'hpa-overrides-scale');
    expect(found.map((f) => [f.line, f.message])).toEqual([
      [
        5,
        'HorizontalPodAutoscaler agent-agency-orchestrator keeps agent-agency-orchestrator between 3 and 6 replicas; it will undo --replicas=8',
      ],
    ]);
  });

  it('is satisfied by a timeout wrapper and quoted URLs', () => {
    const rb = parseRunbook(
      '# R\n## Resolution\n### Fix\n```bash\ntimeout 20 kubectl logs -f deployment/agent-agency-orchestrator -n agent-agency\nkubectl scale deployment/agent-agency-orchestrator --replicas=3 -n agent-agency\ncurl -fsS -m 5 "https://x.example/a?b=1"\n```\n',
      'r.md',
    );
    expect(lintRunbook(rb, { manifests }).filter((f) => f.rule !== 'missing-section')).toEqual([]);
  });
});

describe('correct runbooks get no false findings', () => {
  it('the project fixture runbook is clean, with and without manifests', () => {
    const rb = parseRunbook(readFileSync(FIXTURE, 'utf8'), FIXTURE);
    expect(lintRunbook(rb)).toEqual([]);
    expect(lintRunbook(rb, { manifests })).toEqual([]);
  });

  it.skipIf(!existsSync(fixturePath('k8s/kustomization.yaml')))(
    'the fixture runbook matches fixtures/k8s',
    async () => {
      const rb = parseRunbook(readFileSync(FIXTURE, 'utf8'), FIXTURE);
      expect(lintRunbook(rb, { manifests: await loadManifests(fixturePath('k8s')) })).toEqual([]);
    },
  );
});

describe.skipIf(!haveReference)('the reference runbook', () => {
  it('has the defects a review should fix, at their lines', () => {
    const text = readFileSync(REFERENCE, 'utf8');
    const findings = lintRunbook(parseRunbook(text, REFERENCE), { manifests });
    const at = (rule: string) => findings.filter((f) => f.rule === rule).map((f) => f.line);
    expect(at('never-ends')).toEqual([68, 257]);
    expect(at('no-actionable-fix')).toEqual([135]);
    expect(at('missing-resource')).toEqual([72, 199]); // describe hpa: no HPA in the manifests
    expect(at('tty-in-automation')).toEqual([79, 82, 154, 157, 210, 224]);
    expect(at('gnu-only')).toEqual([103, 112, 182]);
    expect(at('needs-metrics-server')).toEqual([71, 195, 196]);
    expect(at('missing-crd')).toEqual([88, 89]);
    expect(at('undefined-placeholder')).toEqual([54, 269, 334, 335, 336]);
    expect(at('unquoted-glob')).toEqual([273]);
    expect(at('missing-file')).toEqual([247, 254]);
    expect(at('wrong-kind')).toEqual([]);
    // redis-cli ping and nc -zv with no timeout: a partition's diagnostics hang
    expect(at('client-no-timeout')).toEqual([82, 154]);
  });

  it('reports deployment/agent-agency-redis-style references when Redis is a StatefulSet', () => {
    const text = readFileSync(REFERENCE, 'utf8').replace(
      'kubectl get networkpolicies -n agent-agency\n\n# Check service mesh',
      'kubectl rollout restart deployment/agent-agency-redis -n agent-agency\n\n# Check service mesh',
    );
    const findings = lintRunbook(parseRunbook(text, REFERENCE), { manifests: redisStatefulSet });
    expect(findings.filter((f) => f.rule === 'wrong-kind').map((f) => f.line)).toEqual([85]);
  });
});

/**
 * The nightly chaos workflow, checked the way GitHub would read it: actionlint (syntax, contexts,
 * expressions, action inputs), run on the real file and on broken copies that must fail, plus
 * the promises the workflow makes (schedule + manual dispatch, kind from kind-config.yaml, all
 * drills with repeats, reports uploaded even on failure) and that kind-config.yaml publishes
 * every NodePort the fixtures use on 127.0.0.1.
 *
 * actionlint comes from harness/cli/testing-actionlint.ts (built once through the Go proxy).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { actionlintBinary } from '../../cli/testing-actionlint.ts';

const repoRoot = resolve(import.meta.dirname, '..', '..', '..');
const workflowFile = join(repoRoot, '.github/workflows/nightly-chaos.yml');

let bin = '';
let dir = '';
beforeAll(() => {
  bin = actionlintBinary();
  dir = mkdtempSync(join(tmpdir(), 'firedrill-workflow-'));
}, 660_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function lint(text: string): { code: number | null; output: string } {
  // actionlint checks a workflow's file name and location too: keep the layout.
  const wf = join(dir, `${Math.random().toString(16).slice(2)}`, '.github', 'workflows');
  mkdirSync(wf, { recursive: true });
  const file = join(wf, 'nightly-chaos.yml');
  writeFileSync(file, text);
  const r = spawnSync(bin, ['-no-color', '-oneline', file], { encoding: 'utf8', timeout: 60_000, cwd: dir });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

const original = readFileSync(workflowFile, 'utf8');

describe('nightly chaos workflow', () => {
  it('passes actionlint', () => {
    const r = lint(original);
    expect(r.output).toBe('');
    expect(r.code).toBe(0);
  });

  it('actionlint rejects broken copies (the check can fail)', () => {
    // Exit 1 = problems found (2 and 3 would be actionlint itself failing, not the workflow).
    const typoInput = lint(original.replace('inputs.repeat ||', 'inputs.repaet ||'));
    expect(typoInput.code).toBe(1);
    expect(typoInput.output).toMatch(/repaet/);

    const badKey = lint(original.replace('runs-on: ubuntu-24.04', 'runs_on: ubuntu-24.04'));
    expect(badKey.code).toBe(1);
    expect(badKey.output).toMatch(/"runs-on" section is missing/);

    const badYaml = lint(original.replace('    steps:\n', '    steps:\n   - broken: [\n'));
    expect(badYaml.code).toBe(1);
  });

  it('runs nightly and on demand, on kind from kind-config.yaml, all drills with repeats, and always uploads the reports', () => {
    const wf = parse(original) as {
      on: { schedule?: { cron: string }[]; workflow_dispatch?: unknown };
      jobs: Record<
        string,
        { steps: { uses?: string; run?: string; if?: string; with?: Record<string, unknown> }[] }
      >;
    };
    expect(wf.on.schedule?.[0]?.cron).toMatch(/^\S+ \S+ \* \* \*$/);
    expect(wf.on).toHaveProperty('workflow_dispatch');
    const steps = Object.values(wf.jobs).flatMap((j) => j.steps);
    const kind = steps.find((s) => s.uses?.startsWith('helm/kind-action@'));
    expect(kind?.with?.['config']).toBe('kind-config.yaml');
    const drills = steps.find((s) => s.run?.includes('pnpm scenario'));
    expect(drills?.run).toMatch(/--all/);
    expect(drills?.run).toMatch(/--platform kube/);
    expect(drills?.run).toMatch(/--repeat/);
    expect(drills?.if).toBeUndefined(); // its exit code (1 = a target missed) fails the job
    const loadIndex = steps.findIndex((s) => s.run?.includes('kind load docker-image'));
    expect(loadIndex).toBeGreaterThan(steps.indexOf(kind!));
    expect(loadIndex).toBeLessThan(steps.indexOf(drills!));
    const upload = steps.find(
      (s) => s.uses?.startsWith('actions/upload-artifact@') && s.with?.['path'] === 'reports/',
    );
    expect(upload?.if).toBe('always()');
    expect(upload?.with?.['path']).toBe('reports/');
  });

  it('keeps 90 days of history, runs control drills, and reports: quarterly review in the summary, JUnit to a reporter, kind logs on failure', () => {
    const wf = parse(original) as {
      jobs: Record<
        string,
        {
          steps: {
            name?: string;
            uses?: string;
            run?: string;
            if?: string;
            with?: Record<string, unknown>;
          }[];
        }
      >;
    };
    const steps = Object.values(wf.jobs).flatMap((j) => j.steps);
    const at = (pred: (s: (typeof steps)[number]) => boolean) => steps.findIndex(pred);
    const drills = at((s) => /pnpm scenario --all\s*\\?\s*--platform kube/.test(s.run ?? ''));
    const restore = at((s) => s.uses?.startsWith('actions/cache/restore@') ?? false);
    const save = at((s) => s.uses?.startsWith('actions/cache/save@') ?? false);
    expect(restore).toBeGreaterThan(-1);
    expect(restore).toBeLessThan(drills);
    expect(steps[restore]!.with?.['path']).toBe('reports/runs');
    expect(String(steps[restore]!.with?.['restore-keys'])).toMatch(/^chaos-history-/);
    expect(steps.some((s) => /-mtime \+90 .*-delete/.test(s.run ?? ''))).toBe(true);
    expect(save).toBeGreaterThan(drills);
    expect(steps[save]!.if).toBe('always()');
    // a failed drill still leaves its JUnit for the reporter, and still fails the job
    expect(steps[drills]!.run).toMatch(/\|\| rc=\$\?/);
    expect(steps[drills]!.run).toMatch(/exit "\$rc"/);
    const control = steps.find((s) => /--control/.test(s.run ?? ''));
    expect(control?.if).toBe('always()');
    expect(control?.run).toMatch(/--platform kube/);
    const production = steps.find((s) => /--profile production/.test(s.run ?? ''));
    expect(production?.run).toMatch(/pnpm scenario --all/);
    expect(production?.run).not.toMatch(/--repeat/);
    expect(production?.if).toMatch(/always\(\)/);
    const review = steps.find((s) => /pnpm report/.test(s.run ?? ''));
    expect(review?.run).toMatch(/GITHUB_STEP_SUMMARY/);
    expect(review?.if).toBe('always()');
    const junit = steps.find((s) => s.uses?.startsWith('mikepenz/action-junit-report@'));
    expect(junit?.with?.['report_paths']).toBe('reports/junit-*.xml');
    const logs = steps.find((s) => /kind export logs/.test(s.run ?? ''));
    expect(logs?.if).toBe('failure()');
    // nothing assumes root: every apt-get runs through sudo
    for (const s of steps)
      for (const line of (s.run ?? '').split('\n').filter((l) => /apt-get/.test(l)))
        expect(line.trim()).toMatch(/^sudo /);
  });

  it('uses the current majors of the actions it depends on', () => {
    const majors: Record<string, number> = {
      'actions/checkout': 7,
      'actions/setup-node': 7,
      'actions/upload-artifact': 7,
      'actions/cache/restore': 5,
      'actions/cache/save': 5,
      'pnpm/action-setup': 6,
    };
    const uses = [...original.matchAll(/uses: ([\w/.-]+)@v(\d+)/g)].map(
      (m) => [m[1]!, Number(m[2])] as const,
    );
    for (const [action, major] of uses) if (action in majors) expect(major, action).toBe(majors[action]);
    for (const action of Object.keys(majors)) expect(uses.map(([a]) => a)).toContain(action);
  });

  it('kind-config.yaml pins a 1.34 node image and maps every fixture NodePort to 127.0.0.1', () => {
    const kind = parse(readFileSync(join(repoRoot, 'kind-config.yaml'), 'utf8')) as {
      nodes: {
        image?: string;
        extraPortMappings?: { containerPort: number; hostPort: number; listenAddress?: string }[];
      }[];
    };
    const node = kind.nodes[0]!;
    expect(node.image).toMatch(/^kindest\/node:v1\.34\.\d+/);
    const mapped = new Map((node.extraPortMappings ?? []).map((m) => [m.containerPort, m]));
    const base = join(repoRoot, 'fixtures/k8s/base');
    const nodePorts: number[] = [];
    for (const f of readdirSync(base).filter((n) => n.endsWith('.yaml')))
      for (const doc of parseAllDocuments(readFileSync(join(base, f), 'utf8'))) {
        const o = doc.toJS() as { kind?: string; spec?: { ports?: { nodePort?: number }[] } } | null;
        if (o?.kind === 'Service')
          for (const p of o.spec?.ports ?? []) if (p.nodePort) nodePorts.push(p.nodePort);
      }
    expect(nodePorts.length).toBeGreaterThan(0);
    for (const port of nodePorts) {
      expect(mapped.get(port)?.hostPort, `NodePort ${port}`).toBe(port);
      expect(mapped.get(port)?.listenAddress, `NodePort ${port}`).toBe('127.0.0.1');
    }
  });
});

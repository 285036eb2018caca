/**
 * Where a shell step runs: never as the harness. A fresh temporary directory is its HOME and
 * working directory (removed after), its environment holds only PATH, HOME, LANG, KUBECONFIG
 * and the drill's variables, and when the harness is root on Linux it runs as `nobody`
 * (uid/gid 65534) with its own copy of the kubeconfig. Where the uid cannot be dropped, it runs
 * as the current user and the run record says so.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface StepIdentity {
  readonly uid: number;
  readonly gid: number;
}

export const NOBODY: StepIdentity = { uid: 65534, gid: 65534 };

/** Who steps run as by default: nobody when the harness is root on Linux, else the current user. */
export function defaultStepIdentity(): StepIdentity | undefined {
  return process.platform === 'linux' && process.getuid?.() === 0 ? NOBODY : undefined;
}

/** Whether the machine lets this process start one as `id` (root, no seccomp/LSM in the way). */
export function canRunAs(id: StepIdentity): boolean {
  const r = spawnSync('true', { uid: id.uid, gid: id.gid, stdio: 'ignore', timeout: 5000 });
  return !r.error && r.status === 0;
}

/** The limitation written to the run record when steps run as the harness's own user. */
export function sameUserLimitation(reason: string): string {
  const uid = process.getuid?.() ?? 'unknown';
  return `runbook steps ran as the harness's user (uid ${uid}), not a dropped uid: ${reason}`;
}

export interface StepDir {
  readonly dir: string;
  /** The step's copy of the kubeconfig, owned by the step's identity. */
  readonly kubeconfig?: string;
  remove(): void;
}

/**
 * A fresh directory (HOME and cwd) owned by `id`, with a private kubeconfig copy in it.
 * `created` runs before the credentials are copied in (to ledger the directory).
 */
export function makeStepDir(
  id: StepIdentity | undefined,
  kubeconfig?: string,
  created?: (dir: string) => void,
): StepDir {
  const dir = mkdtempSync(join(tmpdir(), 'firedrill-step-'));
  created?.(dir);
  let copy: string | undefined;
  if (kubeconfig) {
    copy = join(dir, '.kubeconfig');
    copyFileSync(kubeconfig, copy);
    chmodSync(copy, 0o600);
  }
  if (id) {
    chownSync(dir, id.uid, id.gid);
    if (copy) chownSync(copy, id.uid, id.gid);
  }
  return {
    dir,
    ...(copy ? { kubeconfig: copy } : {}),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The whole environment of a step: nothing of the harness's own leaks in. */
export function stepEnvironment(o: {
  readonly path: string;
  readonly home: string;
  readonly lang?: string;
  readonly kubeconfig?: string;
  readonly extra?: Readonly<Record<string, string>>;
  readonly variables: Readonly<Record<string, string>>;
}): Record<string, string> {
  return {
    ...o.extra,
    ...o.variables,
    PATH: o.path,
    HOME: o.home,
    LANG: o.lang ?? 'C.UTF-8',
    ...(o.kubeconfig ? { KUBECONFIG: o.kubeconfig } : {}),
  };
}

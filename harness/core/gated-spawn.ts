/**
 * Start a process that waits at a gate until its parent says "go".
 *
 * A ledgered process is recorded just after spawn (its PID is only known then). The gate
 * closes the window in between: the child blocks on a "go" line on stdin, the parent records
 * the PID and start time and only then opens the gate. If the parent dies before that, the
 * child reads EOF and exits without running anything, so no process can exist that the ledger
 * does not know about. `exec` keeps PID, process group and start time: what was recorded is
 * what runs.
 */
import { type ChildProcess, type SpawnOptions, type StdioOptions, spawn } from 'node:child_process';

/**
 * The gate as shell lines: `setup` runs after "go" (still as the gate's shell), then the
 * command (the script's positional arguments) replaces it, with stdin from /dev/null.
 */
export function gateScript(setup: readonly string[] = [], execPrefix = ''): string {
  return [
    'IFS= read -r gate || exit 0',
    '[ "$gate" = go ] || exit 0',
    ...setup,
    `exec ${execPrefix}"$@" </dev/null`,
  ].join('\n');
}

export interface GatedChild {
  readonly child: ChildProcess;
  /** Let the command run. Call it once the PID is recorded. */
  open(): void;
}

export interface GatedSpawnOptions extends Omit<SpawnOptions, 'stdio'> {
  /** The child's fds from 1 on (stdin belongs to the gate; the command gets /dev/null). */
  readonly outputs?: Exclude<StdioOptions, string>;
  /** The shell that holds the gate (default `sh` from PATH). */
  readonly sh?: string;
  /** Lines run after "go", before the command (see gateScript). */
  readonly setup?: readonly string[];
  /** Prepended to the command in the final exec (e.g. a privilege drop). */
  readonly execPrefix?: string;
  /** A command that execs the gate's shell in turn (e.g. unshare); it keeps the PID too. */
  readonly wrapper?: readonly string[];
}

export function spawnGated(argv: readonly string[], options: GatedSpawnOptions = {}): GatedChild {
  const { outputs = ['pipe', 'pipe'], sh = 'sh', setup, execPrefix, wrapper = [], ...rest } = options;
  const full = [...wrapper, sh, '-c', gateScript(setup, execPrefix), 'firedrill-gate', ...argv];
  const child = spawn(full[0]!, full.slice(1), { ...rest, stdio: ['pipe', ...outputs] });
  child.stdin?.on('error', () => {}); // the child may already be gone
  return { child, open: () => child.stdin?.end('go\n') };
}

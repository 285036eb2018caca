/**
 * Start one container process: its own process group, its pod's cgroups, an optional private
 * /etc/hosts, an optional unprivileged user, and stdout/stderr captured with timestamps.
 *
 * Crash safety: the child waits at a gate (core/gated-spawn.ts) until its PID and start time
 * are in the ledger, so a harness killed in between leaves no unrecorded process.
 */
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { constants } from 'node:os';
import type { Readable } from 'node:stream';
import { type Clock, isoOf } from '../../core/clock.ts';
import { spawnGated } from '../../core/gated-spawn.ts';
import type { Ledger, LedgerEntry } from '../../core/ledger.ts';
import { processStartTime } from '../../core/proc.ts';

export interface PrivateFiles {
  /** Bind-mounted over /etc/hosts, /etc/nsswitch.conf and /etc/resolv.conf in a private mount namespace. */
  readonly hosts: string;
  readonly nsswitch: string;
  readonly resolv: string;
}

export interface LaunchSpec {
  readonly what: string;
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly logFile: string;
  readonly cgroupProcs: readonly string[];
  readonly privateFiles?: PrivateFiles;
  /** Drop root to this user before exec (Postgres refuses to run as root). */
  readonly user?: string;
}

export interface Tools {
  readonly sh: string;
  readonly unshare?: string;
  readonly mount?: string;
  readonly setpriv?: string;
}

export interface Exit {
  /** Shell-style: the exit code, or 128 + signal number. */
  readonly exitCode: number;
  readonly signal?: NodeJS.Signals;
}

export interface Launched {
  readonly pid: number;
  readonly child: ChildProcess;
  readonly entry: LedgerEntry;
  /** Resolves when the main process has exited (not waiting for its log pipes). */
  readonly exited: Promise<Exit>;
  /** Resolves when the log file has everything the process wrote. */
  readonly logsFlushed: Promise<void>;
}

export const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

function gateSetup(spec: LaunchSpec, tools: Tools): { setup: string[]; execPrefix: string } {
  const lines: string[] = [];
  const files = spec.privateFiles;
  if (files) {
    const mount = shellQuote(tools.mount ?? 'mount');
    lines.push(`${mount} --bind ${shellQuote(files.hosts)} /etc/hosts || exit 97`);
    lines.push(`${mount} --bind ${shellQuote(files.nsswitch)} /etc/nsswitch.conf || exit 97`);
    lines.push(`${mount} --bind ${shellQuote(files.resolv)} /etc/resolv.conf || exit 97`);
  }
  for (const procs of spec.cgroupProcs) lines.push(`echo $$ > ${shellQuote(procs)} || exit 98`);
  const drop = spec.user
    ? `${shellQuote(tools.setpriv ?? 'setpriv')} --reuid=${shellQuote(spec.user)} --regid=${shellQuote(spec.user)} --init-groups `
    : '';
  return { setup: lines, execPrefix: drop };
}

export function launch(spec: LaunchSpec, tools: Tools, ledger: Ledger, clock: Clock): Launched {
  const { child, open } = spawnGated(spec.argv, {
    sh: tools.sh,
    ...gateSetup(spec, tools),
    ...(spec.privateFiles && tools.unshare
      ? { wrapper: [tools.unshare, '--mount', '--propagation', 'private', '--'] }
      : {}),
    cwd: spec.cwd,
    env: { ...spec.env },
    detached: true, // own session and process group, so the whole container can be signalled
  });
  const log = createWriteStream(spec.logFile, { flags: 'a' });
  log.on('error', () => {}); // a lost log line must not take the harness down
  const logsFlushed = Promise.all([pump(child.stdout!, log, clock), pump(child.stderr!, log, clock)]).then(
    () => new Promise<void>((resolve) => log.end(resolve)),
  );
  const exited = new Promise<Exit>((resolve) => {
    child.once('error', () => resolve({ exitCode: 127 }));
    child.once('exit', (code, signal) => {
      // A container ends with its main process: take the rest of its group with it.
      if (child.pid) signalGroup(child.pid, 'SIGKILL');
      resolve({
        exitCode: code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0),
        signal: signal ?? undefined,
      });
    });
  });
  const pid = child.pid;
  if (pid === undefined) {
    // spawn itself failed (e.g. sh missing); 'error' resolves `exited`
    const entry = ledger.record(`${spec.what} (never started)`, { type: 'none', reason: 'spawn failed' });
    ledger.settle(entry.id);
    return { pid: -1, child, entry, exited, logsFlushed };
  }
  const entry = ledger.record(spec.what, {
    type: 'kill-process',
    pid,
    startTime: processStartTime(pid),
    processGroup: true,
  });
  open();
  return { pid, child, entry, exited, logsFlushed };
}

/** Copy a stream into the log, one timestamped line at a time (`kubectl logs --timestamps` form). */
function pump(stream: Readable, log: WriteStream, clock: Clock): Promise<void> {
  let partial = '';
  const stamp = (line: string) => `${isoOf(clock.now())} ${line}\n`;
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    if (parts.length) log.write(parts.map(stamp).join(''));
  });
  return new Promise((resolve) => {
    stream.once('close', () => {
      if (partial) log.write(stamp(partial));
      resolve();
    });
  });
}

export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already gone
  }
}

/** Until no process of the group is left (bounded): a dead leader's workers may linger a moment. */
export async function waitGroupGone(pid: number, timeoutMs = 3000): Promise<void> {
  for (let waited = 0; waited < timeoutMs; waited += 20) {
    try {
      process.kill(-pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The fault ledger: every change the harness makes to a system is written here, with the
 * self-contained recipe to undo it, BEFORE the change is applied. Normal runs settle their
 * entries as they revert; after a crash or SIGKILL, `pnpm chaos cleanup` replays what is
 * left, newest first. Undo recipes are plain data so they need no live harness objects.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { processEnded, processGroupEnded, processStartTime } from './proc.ts';

export type UndoAction =
  /** Kill a process we started. `startTime` (from /proc/PID/stat) guards against PID reuse. */
  | { type: 'kill-process'; pid: number; startTime?: string; processGroup?: boolean }
  | { type: 'remove-dir'; path: string }
  /** A cgroup directory: its tasks must be gone before rmdir succeeds. */
  | { type: 'remove-cgroup'; path: string }
  /** Any command that reverts a change, e.g. `iptables -D ...` or `kubectl apply -f -`. */
  | { type: 'run-command'; argv: string[]; env?: Record<string, string>; stdin?: string }
  | { type: 'http'; method: 'POST' | 'PUT' | 'DELETE'; url: string; body?: string }
  /** The change dies with the harness (e.g. held sockets, or processes already in the ledger). */
  | { type: 'none'; reason: string };

export interface LedgerEntry {
  readonly id: string;
  readonly runId: string;
  /** What the change was, for humans: "orchestrator env CONFIG_MODE=broken". */
  readonly what: string;
  readonly undo: UndoAction;
  readonly recordedAtWallMs: number;
}

/**
 * The process that writes a ledger, so cleanup can tell a crashed drill's leftovers from the
 * changes of a drill still running. `startTime` (from /proc) guards against PID reuse.
 */
export interface LedgerOwner {
  readonly pid: number;
  readonly startTime?: string;
  readonly host: string;
  readonly startedAtWallMs: number;
}

type LedgerLine =
  | ({ op: 'owner' } & LedgerOwner)
  | { op: 'record'; entry: LedgerEntry }
  | { op: 'settle'; id: string };

/** This process, as a ledger (or a lock) names its owner. */
export const currentOwner = (nowWallMs = Date.now()): LedgerOwner => {
  const startTime = processStartTime(process.pid);
  return {
    pid: process.pid,
    ...(startTime ? { startTime } : {}),
    host: hostname(),
    startedAtWallMs: nowWallMs,
  };
};

/**
 * `alive`: the owner still runs (same PID and start time, this host); `self`: it is this very
 * process; `other-host`: written on another machine, so nothing here can tell; `dead` otherwise.
 * Ledgers written before owners were recorded have none: treated as dead, as before.
 */
export type OwnerState = 'self' | 'alive' | 'dead' | 'other-host';

export function ownerState(owner: LedgerOwner | undefined): OwnerState {
  if (!owner) return 'dead';
  if (owner.host !== hostname()) return 'other-host';
  if (processEnded(owner.pid)) return 'dead';
  const startTime = processStartTime(owner.pid);
  if (owner.startTime !== undefined && startTime !== owner.startTime) return 'dead'; // PID reused
  return owner.pid === process.pid ? 'self' : 'alive';
}

/** One line for a ledger whose owner is not dead: "running (drill PID 12, still alive)". */
export const ownerLine = (owner: LedgerOwner, state: OwnerState): string =>
  state === 'other-host'
    ? `recorded on host ${owner.host} (drill PID ${owner.pid}); cannot tell from here whether it still runs`
    : `running (drill PID ${owner.pid}, still alive)`;

/** The owner named in a ledger file, or undefined (none recorded, or no file). */
export function ledgerOwner(file: string): LedgerOwner | undefined {
  if (!existsSync(file)) return undefined;
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    if (!raw.trim()) continue;
    try {
      const line = JSON.parse(raw) as LedgerLine;
      if (line.op === 'owner') {
        const { op: _op, ...owner } = line;
        return owner;
      }
    } catch {}
  }
  return undefined;
}

/**
 * Where the harness keeps state that must outlive a crash (ledgers, per-run directories):
 * $FIREDRILL_STATE_DIR, else .firedrill/ in the working directory (the repository root).
 */
export const stateRoot = (): string => process.env.FIREDRILL_STATE_DIR ?? join(process.cwd(), '.firedrill');

export const defaultLedgerDir = (): string => join(stateRoot(), 'ledger');

export class Ledger {
  private readonly file: string;
  readonly dir: string;
  readonly runId: string;
  /** What this handle recorded (scope() makes a handle of its own). */
  private readonly recorded = new Set<string>();
  private constructor(dir: string, runId: string) {
    this.dir = dir;
    this.runId = runId;
    this.file = join(dir, `${runId}.jsonl`);
  }

  /** Creates nothing: the directory appears with the first record, so a run refused in
   * preflight leaves no trace on disk. */
  static open(dir: string, runId: string): Ledger {
    return new Ledger(dir, runId);
  }

  /** Append synchronously: the entry is on disk before the caller applies the change. */
  record(what: string, undo: UndoAction): LedgerEntry {
    const entry: LedgerEntry = {
      id: randomUUID(),
      runId: this.runId,
      what,
      undo,
      recordedAtWallMs: Date.now(),
    };
    this.append({ op: 'record', entry });
    this.recorded.add(entry.id);
    return entry;
  }

  /**
   * Another handle on the same ledger file that keeps track of what it records: one drill's
   * entries on a stack that several drills share, each of which must be settled before the next.
   */
  scope(): Ledger {
    return new Ledger(this.dir, this.runId);
  }

  /** Entries this handle recorded that nothing has settled yet. */
  pendingOwn(): LedgerEntry[] {
    return this.pending().filter((e) => this.recorded.has(e.id));
  }

  settle(id: string): void {
    this.append({ op: 'settle', id });
  }

  /** Entries recorded and not yet settled, oldest first. */
  pending(): LedgerEntry[] {
    return pendingIn(this.file);
  }

  /** Remove the ledger file once nothing is pending. */
  close(): void {
    if (existsSync(this.file) && this.pending().length === 0) rmSync(this.file, { force: true });
  }

  private append(line: LedgerLine): void {
    mkdirSync(this.dir, { recursive: true });
    // the first line names the owner, so cleanup leaves a live drill's changes alone
    if (!existsSync(this.file))
      appendFileSync(this.file, JSON.stringify({ op: 'owner', ...currentOwner() }) + '\n', { flush: true });
    appendFileSync(this.file, JSON.stringify(line) + '\n', { flush: true });
  }
}

function pendingIn(file: string): LedgerEntry[] {
  if (!existsSync(file)) return [];
  const open = new Map<string, LedgerEntry>();
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    if (!raw.trim()) continue;
    let line: LedgerLine;
    try {
      line = JSON.parse(raw) as LedgerLine;
    } catch {
      continue; // a torn last line after a crash: the change it announced was never applied
    }
    if (line.op === 'record') open.set(line.entry.id, line.entry);
    else if (line.op === 'settle') open.delete(line.id);
  }
  return [...open.values()];
}

export interface ReplayResult {
  readonly undone: LedgerEntry[];
  readonly failed: { entry: LedgerEntry; error: string }[];
  /** Ledgers left alone: their owner still runs, or wrote them on another host. */
  readonly skipped: { runId: string; owner: LedgerOwner; state: OwnerState; pending: number }[];
}

/** The state of every ledger file in `dir`: its run, owner and unsettled entries. */
export function ledgersIn(dir: string) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => {
      const file = join(dir, f);
      const owner = ledgerOwner(file);
      return {
        file,
        runId: f.replace(/\.jsonl$/, ''),
        owner,
        state: ownerState(owner),
        pending: pendingIn(file),
      };
    });
}

/**
 * Replay every unsettled entry of every ledger in `dir`, newest first. Idempotent. A ledger
 * whose owner still runs (or that another host wrote) is skipped unless `force`: its changes
 * are a live drill's, which restores them itself.
 */
export async function replayLedgers(
  dir: string,
  log: (line: string) => void = () => {},
  opts: { force?: boolean } = {},
): Promise<ReplayResult> {
  const result: ReplayResult = { undone: [], failed: [], skipped: [] };
  if (!existsSync(dir)) return result;
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  for (const file of files) {
    const owner = ledgerOwner(file);
    const state = ownerState(owner);
    if (owner && (state === 'alive' || state === 'other-host') && !opts.force) {
      const pending = pendingIn(file).length;
      if (pending) {
        const runId = basename(file, '.jsonl');
        result.skipped.push({ runId, owner, state, pending });
        log(`left alone: ${runId}: ${ownerLine(owner, state)}; --force replays it anyway`);
      }
      continue;
    }
    const entries = pendingIn(file).reverse();
    let allOk = true;
    for (const entry of entries) {
      try {
        await undo(entry.undo);
        appendFileSync(file, JSON.stringify({ op: 'settle', id: entry.id }) + '\n', { flush: true });
        result.undone.push(entry);
        log(`undone: ${entry.what}`);
      } catch (err) {
        allOk = false;
        result.failed.push({ entry, error: err instanceof Error ? err.message : String(err) });
        log(`FAILED to undo: ${entry.what}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (allOk) rmSync(file, { force: true });
  }
  return result;
}

export async function undo(action: UndoAction): Promise<void> {
  switch (action.type) {
    case 'kill-process': {
      const current = processStartTime(action.pid);
      // A group can outlive its leader (a step's background child); the kernel reuses no PID
      // while a group of that number exists, so killing it stays safe.
      if (current === undefined && !action.processGroup) return; // already gone
      if (current !== undefined && action.startTime !== undefined && current !== action.startTime) return; // PID reused
      try {
        process.kill(action.processGroup ? -action.pid : action.pid, 'SIGKILL');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
      await waitEnded(action.pid, action.processGroup ?? false);
      return;
    }
    case 'remove-dir':
      rmSync(action.path, { recursive: true, force: true });
      return;
    case 'remove-cgroup': {
      if (!existsSync(action.path)) return;
      const procs = join(action.path, 'cgroup.procs');
      if (existsSync(procs)) {
        for (const pid of readFileSync(procs, 'utf8').split('\n').filter(Boolean)) {
          try {
            process.kill(Number(pid), 'SIGKILL');
          } catch {}
        }
      }
      for (let i = 0; i < 50; i++) {
        try {
          rmSync(action.path, { recursive: false, force: true });
        } catch {}
        try {
          // cgroupfs directories are removed with rmdir, not unlink
          spawnSync('rmdir', [action.path]);
        } catch {}
        if (!existsSync(action.path)) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`cgroup ${action.path} still exists`);
    }
    case 'run-command': {
      const [cmd, ...args] = action.argv;
      if (!cmd) return;
      const r = spawnSync(cmd, args, {
        env: { ...process.env, ...action.env },
        input: action.stdin,
        encoding: 'utf8',
        timeout: 60_000,
      });
      if (r.error) throw r.error;
      if (r.status !== 0) throw new Error(`${action.argv.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
      return;
    }
    case 'none':
      return;
    case 'http': {
      const res = await fetch(action.url, {
        method: action.method,
        body: action.body,
        headers: action.body ? { 'content-type': 'application/json' } : {},
        signal: AbortSignal.timeout(10_000),
      }).catch((err: unknown) => {
        // the target died with the harness: nothing left to revert
        if ((err as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED') return undefined;
        throw err;
      });
      if (res && !res.ok) throw new Error(`${action.method} ${action.url} answered ${res.status}`);
      return;
    }
  }
}

/** Until the process (or its whole group) has ended; bounded, as a loaded machine takes its time. */
async function waitEnded(pid: number, group: boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (group ? processGroupEnded(pid) : processEnded(pid)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`process ${group ? 'group ' : ''}${pid} did not exit after SIGKILL`);
}

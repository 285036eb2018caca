/**
 * Test support: what a drill occupies on the machine, read from /proc, /sys/fs/cgroup and the
 * filesystem, never from the harness's own ledger. Capture a footprint while the drill runs
 * (its process tree and ports are only knowable then), then ask what of it is still there.
 *
 * Also checked: firewall rules, the packet drops of network denies as root (raw table, tagged
 * with the run id). Not checked because the local platform never makes them: patches of
 * anything outside the run's processes (env and resource changes live in the processes).
 */
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processEnded } from '../core/proc.ts';
import { dropRulesOf } from '../platforms/local/packet-drop.ts';
import { type CliRun, cgroupsOfRuns, runIdsIn } from './testing.ts';

interface ProcessId {
  readonly pid: number;
  /** Start time in clock ticks since boot: with the pid, names one process even if the pid is reused. */
  readonly startTime: string;
}

export interface Footprint {
  readonly stateDir: string;
  readonly harnessPid: number;
  readonly runIds: readonly string[];
  /** "pid: cmdline" of the run's processes when captured. */
  readonly processes: readonly string[];
  readonly identities: readonly ProcessId[];
  /** Loopback ports the harness and the run's processes listened on when captured. */
  readonly ports: readonly number[];
  /**
   * The listening sockets themselves: once closed, a port may be handed to another program by
   * the kernel, so a leftover is the same socket (inode) still listening, not the same port.
   */
  readonly sockets: readonly { port: number; inode: string }[];
}

const allPids = () =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);

const cmdlineOf = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
};

const read = (file: string) => {
  try {
    return readFileSync(file, 'latin1');
  } catch {
    return '';
  }
};

/** State, parent and start time from /proc/PID/stat; undefined once the process is gone. */
function statOf(pid: number): { state: string; ppid: number; startTime: string } | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // the command name (field 2) may contain spaces; the fields after the last ')' are fixed
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: f[0]!, ppid: Number(f[1]), startTime: f[19]! };
}

/** Still holding anything (a zombie holds only its pid; see processEnded for one still exiting). */
const alive = (pid: number) => !processEnded(pid);

/**
 * The run's live processes, found four independent ways because no single one sees them all:
 * - descendants of the harness, while it lives (every process it started is one);
 * - the FIREDRILL_RUN marker in the environment (Redis and Postgres's children overwrite
 *   their environment with their process title, so they lose it);
 * - membership of one of the run's cgroups (/proc/PID/cgroup names the run id);
 * - a command line naming the run's directories or id (Prometheus: detached, no marker), or an
 *   environment naming its id (kube runbook steps: detached, KUBECONFIG in the run's directory).
 */
function processesOf(stateDir: string, runIds: readonly string[], harnessPid: number): number[] {
  const pids = allPids();
  const children = new Map<number, number[]>();
  for (const pid of pids) {
    const st = statOf(pid);
    if (st) children.set(st.ppid, [...(children.get(st.ppid) ?? []), pid]);
  }
  const found = new Set<number>();
  const walk = (pid: number) => {
    for (const c of children.get(pid) ?? []) {
      found.add(c);
      walk(c);
    }
  };
  if (alive(harnessPid)) walk(harnessPid);
  // runs/ rather than the state dir itself: a harness's own --reports may sit in the state dir
  const names = [join(stateDir, 'runs'), ...runIds];
  for (const pid of pids) {
    if (pid === harnessPid || pid === process.pid || found.has(pid)) continue;
    const environ = read(`/proc/${pid}/environ`);
    const cgroup = read(`/proc/${pid}/cgroup`);
    const cmdline = cmdlineOf(pid);
    if (
      runIds.some((id) => environ.includes(`FIREDRILL_RUN=${id}\0`) || cgroup.includes(`/firedrill/${id}`)) ||
      names.some((n) => cmdline.includes(n)) ||
      runIds.some((id) => environ.includes(id))
    )
      found.add(pid);
  }
  return [...found].filter(alive);
}

/** Socket inode -> local port, for sockets in LISTEN state (IPv4 and IPv6). */
function listeningSockets(): Map<string, number> {
  const byInode = new Map<string, number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of read(file).split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT, st 0A is LISTEN, the inode is field 10
      if (f.length < 10 || f[3] !== '0A') continue;
      byInode.set(f[9]!, Number.parseInt(f[1]!.split(':')[1]!, 16));
    }
  }
  return byInode;
}

/**
 * Socket inodes a process holds open. A zombie main thread has no fd table of its own; a thread
 * still exiting after it may hold the process's files, so those are read through the thread.
 */
function socketInodes(pid: number): string[] {
  const fdDirs = [`/proc/${pid}/fd`];
  if (statOf(pid)?.state === 'Z')
    try {
      for (const tid of readdirSync(`/proc/${pid}/task`)) fdDirs.push(`/proc/${pid}/task/${tid}/fd`);
    } catch {}
  const inodes: string[] = [];
  for (const dir of fdDirs) {
    let fds: string[] = [];
    try {
      fds = readdirSync(dir);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`${dir}/${fd}`));
        if (m) inodes.push(m[1]!);
      } catch {}
    }
  }
  return inodes;
}

/**
 * What the drill occupies now. Call while it runs (e.g. once its fault is injected).
 * `runIds` singles out one drill when several share the state dir.
 */
export function captureFootprint(
  run: CliRun,
  stateDir: string,
  runIds: readonly string[] = runIdsIn(stateDir),
): Footprint {
  const harnessPid = run.child.pid!;
  const pids = processesOf(stateDir, runIds, harnessPid);
  const listening = listeningSockets();
  const sockets = new Map<string, number>();
  for (const pid of [harnessPid, ...pids])
    for (const inode of socketInodes(pid)) {
      const port = listening.get(inode);
      if (port !== undefined) sockets.set(inode, port);
    }
  const identities = pids.flatMap((pid) => {
    const st = statOf(pid);
    return st ? [{ pid, startTime: st.startTime }] : [];
  });
  return {
    stateDir,
    harnessPid,
    runIds,
    processes: pids.map((pid) => `${pid}: ${cmdlineOf(pid)}`),
    identities,
    ports: [...new Set(sockets.values())].sort((a, b) => a - b),
    sockets: [...sockets].map(([inode, port]) => ({ port, inode })),
  };
}

/** The captured sockets that still listen, with their owner when it can be found. */
function stillListening(sockets: Footprint['sockets']): string[] {
  const now = listeningSockets();
  const open = sockets.filter((s) => now.has(s.inode));
  if (open.length === 0) return [];
  const owners = new Map<string, string>();
  for (const pid of allPids())
    for (const inode of socketInodes(pid)) owners.set(inode, `${pid}: ${cmdlineOf(pid)}`);
  return open.map((s) => `port ${s.port} still listening (${owners.get(s.inode) ?? 'owner gone'})`);
}

const entries = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);

/** The runs' packet-drop rules still in the raw table; only root adds them. */
const firewallRules = (runIds: readonly string[]): string[] =>
  process.getuid?.() === 0 ? dropRulesOf(runIds) : [];

/**
 * Everything of the footprint still on the machine, one line each; [] when nothing is left.
 * Run ids found in the state dir now are included (a run may have started after capture).
 */
export function leftovers(fp: Footprint): string[] {
  const runIds = [...new Set([...fp.runIds, ...runIdsIn(fp.stateDir)])];
  const pids = new Set(processesOf(fp.stateDir, runIds, fp.harnessPid));
  for (const { pid, startTime } of fp.identities)
    if (alive(pid) && statOf(pid)?.startTime === startTime) pids.add(pid);
  const tmp = tmpdir();
  return [
    ...[...pids].map((pid) => `process ${pid}: ${cmdlineOf(pid)}`),
    ...cgroupsOfRuns(runIds).map((c) => `cgroup ${c}`),
    ...firewallRules(runIds).map((r) => `firewall rule ${r}`),
    ...stillListening(fp.sockets),
    ...entries(join(fp.stateDir, 'runs')).map((d) => `run directory ${join(fp.stateDir, 'runs', d)}`),
    ...entries(join(fp.stateDir, 'ledger')).map((f) => `ledger ${join(fp.stateDir, 'ledger', f)}`),
    // Postgres moves to /tmp when the state dir is too deep for a socket path or closed to it
    ...entries(tmp)
      .filter((d) => d.startsWith(`firedrill-pg-${fp.harnessPid}-`) || runIds.some((id) => d.includes(id)))
      .map((d) => `temp dir ${join(tmp, d)}`),
  ];
}

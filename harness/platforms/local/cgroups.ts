/**
 * Resource limits through cgroup v1 (memory, cpu): one firedrill-owned directory per run and
 * one per pod below it, like the kubelet's pod cgroups. Every directory is in the ledger before
 * it is made. Where the controllers are missing or read-only, the platform reports that as a
 * limitation and runs without limits instead of pretending.
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Ledger, LedgerEntry } from '../../core/ledger.ts';
import { undo } from '../../core/ledger.ts';
import { cpuCores, memoryBytes } from '../../core/quantity.ts';
import type { ResourceSpec } from '../types.ts';

export const CGROUP_V1_ROOT = '/sys/fs/cgroup';
const CFS_PERIOD_US = 100_000;

export interface CgroupSupport {
  /** e.g. /sys/fs/cgroup/memory, when that controller is mounted and writable. */
  readonly memoryRoot?: string;
  readonly cpuRoot?: string;
  readonly limitations: readonly string[];
}

/** Look, without changing anything, whether the v1 memory and cpu controllers are usable. */
export function probeCgroups(root = CGROUP_V1_ROOT): CgroupSupport {
  const limitations: string[] = [];
  const usable = (controller: string, file: string): string | undefined => {
    const dir = join(root, controller);
    if (!existsSync(join(dir, file))) {
      limitations.push(`${controller} limits unavailable: no cgroup v1 ${controller} controller at ${dir}`);
      return undefined;
    }
    try {
      accessSync(dir, constants.W_OK);
      return dir;
    } catch {
      limitations.push(`${controller} limits unavailable: ${dir} is not writable (run as root)`);
      return undefined;
    }
  };
  const memoryRoot = usable('memory', 'memory.limit_in_bytes');
  const cpuRoot = usable('cpu', 'cpu.cfs_quota_us');
  return { memoryRoot, cpuRoot, limitations };
}

/** A pod's cgroups: which `cgroup.procs` files to join, and its limits and OOM counter. */
export class PodCgroup {
  readonly memoryDir?: string;
  readonly cpuDir?: string;
  private readonly entries: LedgerEntry[];
  private readonly ledger: Ledger;
  constructor(ledger: Ledger, entries: LedgerEntry[], memoryDir?: string, cpuDir?: string) {
    this.ledger = ledger;
    this.entries = entries;
    this.memoryDir = memoryDir;
    this.cpuDir = cpuDir;
  }

  /** Files a starting process writes its PID into before exec. */
  procsFiles(): string[] {
    return [this.memoryDir, this.cpuDir]
      .filter((d): d is string => d !== undefined)
      .map((d) => join(d, 'cgroup.procs'));
  }

  /** Apply limits (absent means unlimited). Returns what could not be applied. */
  setLimits(resources: ResourceSpec): string[] {
    const skipped: string[] = [];
    const mem = resources.limits?.memory;
    if (mem !== undefined && !this.memoryDir) skipped.push(`memory limit ${mem}`);
    if (this.memoryDir) {
      const bytes = mem === undefined ? '-1' : String(memoryBytes(mem));
      const memsw = join(this.memoryDir, 'memory.memsw.limit_in_bytes');
      // Without the swap limit a process could swap instead of being OOM-killed at the limit.
      // memsw must stay >= the memory limit, so the order of the two writes depends on the move.
      const writeMem = () => writeFileSync(join(this.memoryDir!, 'memory.limit_in_bytes'), bytes);
      const writeSw = () => existsSync(memsw) && writeFileSync(memsw, bytes);
      if (bytes === '-1') {
        writeSw();
        writeMem();
      } else {
        writeMem();
        writeSw();
      }
    }
    const cpu = resources.limits?.cpu;
    if (cpu !== undefined && !this.cpuDir) skipped.push(`CPU limit ${cpu}`);
    if (this.cpuDir) {
      writeFileSync(join(this.cpuDir, 'cpu.cfs_period_us'), String(CFS_PERIOD_US));
      const quota = cpu === undefined ? -1 : Math.max(1000, Math.round(cpuCores(cpu) * CFS_PERIOD_US));
      writeFileSync(join(this.cpuDir, 'cpu.cfs_quota_us'), String(quota));
    }
    return skipped;
  }

  /** Cumulative count of OOM kills in this pod's memory cgroup. */
  oomKills(): number {
    if (!this.memoryDir) return 0;
    try {
      const m = /^oom_kill (\d+)$/m.exec(readFileSync(join(this.memoryDir, 'memory.oom_control'), 'utf8'));
      return m ? Number(m[1]) : 0;
    } catch {
      return 0;
    }
  }

  /** Kill whatever is left inside and remove the directories; settles their ledger entries. */
  async remove(): Promise<void> {
    for (const entry of [...this.entries].reverse()) {
      await undo(entry.undo);
      this.ledger.settle(entry.id);
    }
    this.entries.length = 0;
  }
}

/** The run's cgroup directories: <controller>/firedrill/<runId>/<pod>. */
export class RunCgroups {
  private readonly support: CgroupSupport;
  private readonly ledger: Ledger;
  private readonly runDirs: { dir: string; entry: LedgerEntry }[] = [];
  private readonly runId: string;
  constructor(support: CgroupSupport, ledger: Ledger, runId: string) {
    this.support = support;
    this.ledger = ledger;
    this.runId = runId;
  }

  get available(): boolean {
    return this.support.memoryRoot !== undefined || this.support.cpuRoot !== undefined;
  }

  /** Create the per-run directories (recorded first). */
  create(): void {
    for (const root of [this.support.memoryRoot, this.support.cpuRoot]) {
      if (!root) continue;
      const parent = join(root, 'firedrill');
      // Shared by concurrent runs: every run asks to remove it, and only the last one out can
      // (rmdir fails while another run's directory is inside), so none leaves it behind.
      const parentEntry = this.ledger.record(`cgroup ${parent} (if empty)`, {
        type: 'run-command',
        argv: ['sh', '-c', 'rmdir "$0" 2>/dev/null; true', parent],
      });
      mkdirSync(parent, { recursive: true });
      this.runDirs.push({ dir: parent, entry: parentEntry });
      const dir = join(parent, this.runId);
      const entry = this.ledger.record(`cgroup ${dir}`, { type: 'remove-cgroup', path: dir });
      mkdirSync(dir, { recursive: true });
      this.runDirs.push({ dir, entry });
    }
  }

  pod(name: string): PodCgroup {
    const entries: LedgerEntry[] = [];
    const make = (root: string | undefined): string | undefined => {
      if (!root) return undefined;
      const dir = join(root, 'firedrill', this.runId, name);
      entries.push(this.ledger.record(`cgroup ${dir}`, { type: 'remove-cgroup', path: dir }));
      mkdirSync(dir, { recursive: true });
      return dir;
    };
    return new PodCgroup(this.ledger, entries, make(this.support.memoryRoot), make(this.support.cpuRoot));
  }

  async remove(): Promise<void> {
    for (const { entry } of this.runDirs.reverse()) {
      await undo(entry.undo);
      this.ledger.settle(entry.id);
    }
    this.runDirs.length = 0;
  }
}

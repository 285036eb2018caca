/**
 * The harness's own footprint, read from the kernel: peak resident set (VmHWM) from
 * /proc/<pid>/status, polled while a drill child runs. Polling is the cross-check for the
 * child's own getrusage report, and the only figure left when the child dies before reporting.
 */
import { readFileSync } from 'node:fs';
import type { Clock } from '../harness/core/clock.ts';

export interface ProcMemory {
  /** Peak resident set size ("high water mark"), kB. */
  readonly vmHwmKb?: number;
  /** Current resident set size, kB. */
  readonly vmRssKb?: number;
}

/** `VmHWM:	  123456 kB` and `VmRSS:` lines of a /proc/<pid>/status text; absent fields stay undefined. */
export function parseProcStatus(text: string): ProcMemory {
  const field = (name: string): number | undefined => {
    const m = new RegExp(`^${name}:\\s+(\\d+)\\s+kB\\s*$`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const vmHwmKb = field('VmHWM');
  const vmRssKb = field('VmRSS');
  return { ...(vmHwmKb === undefined ? {} : { vmHwmKb }), ...(vmRssKb === undefined ? {} : { vmRssKb }) };
}

export const kbToMb = (kb: number): number => kb / 1024;

export interface PeakRssWatch {
  /** Highest VmHWM seen so far, kB; undefined if the process could never be read. */
  peakKb(): number | undefined;
  stop(): void;
}

/**
 * Poll VmHWM of `pid` every `intervalMs` until stopped or the process is gone. VmHWM is
 * already a peak, so polling only risks missing growth in the last interval before exit.
 */
export function watchPeakRss(
  pid: number,
  opts: { clock: Clock; intervalMs?: number; maxDurationMs: number; read?: (path: string) => string },
): PeakRssWatch {
  const read = opts.read ?? ((path: string) => readFileSync(path, 'utf8'));
  const interval = opts.intervalMs ?? 200;
  const startedMs = opts.clock.now().monoMs;
  let peak: number | undefined;
  let stopped = false;
  const sample = (): boolean => {
    try {
      const hwm = parseProcStatus(read(`/proc/${pid}/status`)).vmHwmKb;
      if (hwm !== undefined) peak = Math.max(peak ?? 0, hwm);
      return true;
    } catch {
      return false; // gone (or a zombie without memory fields): nothing more to learn
    }
  };
  const loop = async () => {
    while (!stopped && opts.clock.now().monoMs - startedMs < opts.maxDurationMs && sample()) {
      await opts.clock.sleep(interval);
    }
  };
  void loop();
  return {
    peakKb: () => peak,
    stop: () => {
      stopped = true;
    },
  };
}

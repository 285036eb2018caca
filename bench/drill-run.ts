/**
 * One drill measured from outside: `pnpm scenario <name> --json` in a child process, so the CPU
 * time and peak RSS are the harness's own (not the bench's, not the system under test's). The
 * drill's reports are rendered in a short-lived process of their own (harness/cli/reports.ts):
 * its CPU counts with the drill's, its peak RSS is reported next to the drill process's.
 * The run record comes back on the child's stdout; wall time is spawn to exit.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Clock, elapsedMs } from '../harness/core/clock.ts';
import type { Phase } from '../harness/core/timeline.ts';
import { type RunRecord, runRecordSchema } from '../harness/report/record.ts';
import { kbToMb, watchPeakRss } from './proc.ts';

/** What bench/drill-child.ts (and the report child) report as they exit (getrusage of that process alone). */
export interface ChildUsage {
  readonly userCpuUs: number;
  readonly systemCpuUs: number;
  readonly maxRssKb: number;
}

export interface DrillMeasurement {
  readonly scenario: string;
  readonly platform: 'local' | 'kube';
  readonly iteration: number;
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** Spawn to exit of the harness process. */
  readonly wallMs: number;
  /** Spawn to the drill's start (node start, imports, preflight, stack up). */
  readonly setupMs: number | null;
  /** The drill's end to the process exit (stack down, reports). */
  readonly teardownMs: number | null;
  readonly phasesMs: Partial<Record<Phase, number>>;
  /** Where the wall time went, from the child's progress lines and its record. */
  readonly split: WallSplit;
  readonly record?: RunRecord;
  /** Why there is no record: the child's last stderr line or the way it ended. */
  readonly error?: string;
  /** getrusage maxRSS of the child, else the polled VmHWM. */
  readonly peakRssMb: number | null;
  readonly polledPeakRssMb: number | null;
  /** getrusage maxRSS of the process that rendered the reports; null when none ran. */
  readonly reportPeakRssMb: number | null;
  /** The drill process and its report process together. */
  readonly cpuUserS: number | null;
  readonly cpuSystemS: number | null;
}

/** Duration of each phase from the run record's timeline (first start to its end). */
export function phaseDurations(timeline: RunRecord['timeline']): Partial<Record<Phase, number>> {
  const started = new Map<string, number>();
  const out: Partial<Record<Phase, number>> = {};
  for (const e of timeline) {
    const phase = e['phase'];
    if (typeof phase !== 'string') continue;
    if (e.type === 'phase.start' && !started.has(phase)) started.set(phase, e.at.monoMs);
    if (e.type === 'phase.end' && started.has(phase) && out[phase as Phase] === undefined)
      out[phase as Phase] = e.at.monoMs - started.get(phase)!;
  }
  return out;
}

/** A drill's wall time cut at what the child says on stderr and what its record says (ms; null: not seen). */
export interface WallSplit {
  /** Spawn to the first progress line: node start, imports, input checks, the CLI's preflight. */
  readonly processStartMs: number | null;
  /** The first progress line to the drill's start: platform checks, stack up (Prometheus launches alongside). */
  readonly stackUpMs: number | null;
  /** The restore phase's start to the drill's summary line: faults reverted, detection stopped, stack down. */
  readonly restoreMs: number | null;
  /** The summary line to the process's exit: run records and reports written. */
  readonly reportsMs: number | null;
}

/** What the child printed on stderr, each line with its time since spawn. */
export type TimedLine = readonly [line: string, sinceSpawnMs: number];

/** progress.ts writes `<label> <secs>s  <phase>: waiting for ...`; summaryLine has `detection: `. */
const PROGRESS = /^.+? +[\d.]+s {2}[a-z-]+: waiting for /;
const SUMMARY = /^\S+: .* {2}detection: \S+/;

export function wallSplit(
  lines: readonly TimedLine[],
  record: Pick<RunRecord, 'startedAt' | 'timeline'> | undefined,
  spawnedAtWallMs: number,
  wallMs: number,
): WallSplit {
  const first = lines.find(([l]) => PROGRESS.test(l))?.[1];
  const summary = lines.find(([l]) => SUMMARY.test(l))?.[1];
  const drillStart = record ? Date.parse(record.startedAt) - spawnedAtWallMs : undefined;
  const restoreStart = record?.timeline.find((e) => e.type === 'phase.start' && e['phase'] === 'restore');
  const restoreAt = restoreStart ? restoreStart.at.wallMs - spawnedAtWallMs : undefined;
  const span = (from: number | undefined, to: number | undefined) =>
    from === undefined || to === undefined ? null : Math.max(0, to - from);
  return {
    processStartMs: span(0, first),
    stackUpMs: span(first, drillStart),
    restoreMs: span(restoreAt, summary),
    reportsMs: span(summary, wallMs),
  };
}

/** The records `pnpm scenario --json` prints, one per drill; throws with the reason when there are none. */
export function parseRecordsOutput(stdout: string): RunRecord[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new Error(`no JSON run record on stdout (${stdout.trim().slice(0, 120) || 'empty'})`);
  }
  if (!Array.isArray(parsed)) throw new Error(`expected a list of run records, got ${typeof parsed}`);
  return parsed.map((r) => runRecordSchema.parse(r));
}

/** The single record `pnpm scenario --json` prints for one drill; throws with the reason otherwise. */
export function parseRecordOutput(stdout: string): RunRecord {
  const records = parseRecordsOutput(stdout);
  if (records.length !== 1) throw new Error(`expected one run record, got ${records.length}`);
  return records[0]!;
}

export interface DrillRunOptions {
  readonly scenario: string;
  readonly platform: 'local' | 'kube';
  readonly iteration: number;
  /** Passed through to `pnpm scenario`, e.g. ['--detection', 'probes']. */
  readonly extraArgs: readonly string[];
  readonly repoRoot: string;
  readonly clock: Clock;
  /** Each stderr line of the child (its progress), as it arrives, with the time since spawn. */
  readonly onLine: (line: string, sinceSpawnMs: number) => void;
  /** SIGTERM after this long (the child restores, then exits); SIGKILL 2 min later. */
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}

const KILL_GRACE_MS = 120_000;

const readUsage = (file: string): ChildUsage | undefined => {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ChildUsage;
  } catch {
    return undefined; // the process never got to write it
  }
};

/** What one harness child did, as seen from outside: its output, exit and resource usage. */
export interface ChildRun {
  readonly stdout: string;
  /** Its stderr lines, each with the time since spawn. */
  readonly lines: readonly TimedLine[];
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly spawnedAtWallMs: number;
  readonly exitedAtWallMs: number;
  readonly wallMs: number;
  /** Its last non-empty stderr line, or how it was killed. */
  readonly lastError: string;
  readonly usage?: ChildUsage;
  readonly reportUsage?: ChildUsage;
  readonly polledPeakKb?: number;
}

/**
 * `pnpm scenario <argv> --json` as bench/drill-child.ts, in a process of its own, with its
 * reports in a temporary folder: what every harness benchmark measures from outside.
 */
export async function runHarnessChild(
  argv: readonly string[],
  o: Pick<
    DrillRunOptions,
    'platform' | 'extraArgs' | 'repoRoot' | 'clock' | 'onLine' | 'timeoutMs' | 'signal'
  >,
): Promise<ChildRun> {
  const dir = mkdtempSync(join(tmpdir(), 'firedrill-bench-drill-'));
  const usageFile = join(dir, 'usage.json');
  const reportUsageFile = join(dir, 'report-usage.json');
  const args = [
    join(o.repoRoot, 'bench', 'drill-child.ts'),
    ...argv,
    '--platform',
    o.platform,
    '--json',
    '--reports',
    join(dir, 'reports'),
    ...o.extraArgs,
  ];
  try {
    const spawnedAt = o.clock.now();
    const child = spawn(process.execPath, args, {
      cwd: o.repoRoot,
      env: {
        ...process.env,
        FIREDRILL_BENCH_USAGE_FILE: usageFile,
        FIREDRILL_BENCH_REPORT_USAGE_FILE: reportUsageFile,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const rss = watchPeakRss(child.pid ?? -1, { clock: o.clock, maxDurationMs: o.timeoutMs + KILL_GRACE_MS });
    let stdout = '';
    let lastErr = '';
    let partial = '';
    const lines: [string, number][] = [];
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      const split = (partial + d).split('\n');
      partial = split.pop() ?? '';
      for (const l of split) {
        if (l.trim()) lastErr = l;
        lines.push([l, elapsedMs(spawnedAt, o.clock.now())]);
        o.onLine(l, lines.at(-1)![1]);
      }
    });
    const interrupt = () => child.kill('SIGINT');
    o.signal.addEventListener('abort', interrupt, { once: true });
    const term = setTimeout(() => child.kill('SIGTERM'), o.timeoutMs);
    const kill = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs + KILL_GRACE_MS);
    const [exitCode, signal] = await new Promise<[number | null, string | null]>((resolve) =>
      child.on('close', (code, sig) => resolve([code, sig])),
    );
    const exitedAt = o.clock.now();
    clearTimeout(term);
    clearTimeout(kill);
    if (partial.trim()) {
      lastErr = partial;
      o.onLine(partial, elapsedMs(spawnedAt, exitedAt));
    }
    o.signal.removeEventListener('abort', interrupt);
    rss.stop();
    const usage = readUsage(usageFile);
    const reportUsage = readUsage(reportUsageFile);
    const polled = rss.peakKb();
    return {
      stdout,
      lines,
      exitCode,
      signal,
      spawnedAtWallMs: spawnedAt.wallMs,
      exitedAtWallMs: exitedAt.wallMs,
      wallMs: elapsedMs(spawnedAt, exitedAt),
      lastError:
        signal === 'SIGKILL' ? `killed after ${o.timeoutMs / 1000}s; run \`pnpm chaos cleanup\`` : lastErr,
      ...(usage ? { usage } : {}),
      ...(reportUsage ? { reportUsage } : {}),
      ...(polled === undefined ? {} : { polledPeakKb: polled }),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Peak RSS and CPU of a harness child: its getrusage, else the polled peak; the report process's CPU counts with it. */
export function childFootprint(
  c: ChildRun,
): Pick<DrillMeasurement, 'peakRssMb' | 'polledPeakRssMb' | 'reportPeakRssMb' | 'cpuUserS' | 'cpuSystemS'> {
  const { usage, reportUsage, polledPeakKb: polled } = c;
  return {
    peakRssMb: usage ? kbToMb(usage.maxRssKb) : polled === undefined ? null : kbToMb(polled),
    polledPeakRssMb: polled === undefined ? null : kbToMb(polled),
    reportPeakRssMb: reportUsage ? kbToMb(reportUsage.maxRssKb) : null,
    cpuUserS: usage ? (usage.userCpuUs + (reportUsage?.userCpuUs ?? 0)) / 1e6 : null,
    cpuSystemS: usage ? (usage.systemCpuUs + (reportUsage?.systemCpuUs ?? 0)) / 1e6 : null,
  };
}

export async function runDrillChild(o: DrillRunOptions): Promise<DrillMeasurement> {
  const c = await runHarnessChild([o.scenario], o);
  let record: RunRecord | undefined;
  let error: string | undefined;
  try {
    record = parseRecordOutput(c.stdout);
  } catch (err) {
    error = c.lastError || (err instanceof Error ? err.message : String(err));
  }
  return {
    scenario: o.scenario,
    platform: o.platform,
    iteration: o.iteration,
    exitCode: c.exitCode,
    signal: c.signal,
    wallMs: c.wallMs,
    setupMs: record ? Date.parse(record.startedAt) - c.spawnedAtWallMs : null,
    teardownMs: record ? c.exitedAtWallMs - Date.parse(record.finishedAt) : null,
    phasesMs: record ? phaseDurations(record.timeline) : {},
    split: wallSplit(c.lines, record, c.spawnedAtWallMs, c.wallMs),
    ...(record ? { record } : {}),
    ...(error ? { error } : {}),
    ...childFootprint(c),
  };
}

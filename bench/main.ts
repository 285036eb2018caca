/**
 * `pnpm bench`: speed and footprint as printed figures (never timed test assertions).
 *   pnpm bench                 drills on local (and kube when a cluster is up) + fixture + detection
 *   pnpm bench drills [...]    each scenario as a real drill in a child process, next to its floors
 *   pnpm bench series          pnpm scenario --all on local: one stack for all drills, vs its floor
 *   pnpm bench fixture         throughput and p95 of the orchestrator on loopback
 *   pnpm bench detection       detection latency next to scrape + evaluation + `for`
 *   pnpm bench footprint       resident memory each part of the harness costs to load (client-node too)
 * Tables go to stdout (or one JSON document with --json); progress goes to stderr.
 */
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { runFixtureBench } from '../fixtures/agent-agency/bench.ts';
import { EXIT, positiveInt, runCli } from '../harness/cli/main.ts';
import { systemClock } from '../harness/core/clock.ts';
import { UserError } from '../harness/core/errors.ts';
import { stderrLogger } from '../harness/core/log.ts';
import { benchDetectionLatency, formatBenchResult } from './detection-latency.ts';
import {
  type DrillsBenchResult,
  isBusyRefusal,
  loadScenarios,
  retryWhileBusy,
  runDrillsBench,
} from './drills.ts';
import type { PlatformFloors } from './floors.ts';
import { formatFootprint, runFootprintBench } from './module-footprint.ts';
import { kubeUnavailable } from './platform-floors.ts';
import { formatSeries, runSeriesBench } from './series.ts';
import {
  formatDrillTable,
  formatFloorLegend,
  formatFloorRatios,
  formatGoalSummary,
  formatPhaseTable,
  formatRepeatSummary,
  renderTable,
} from './table.ts';

const repoRoot = resolve(import.meta.dirname, '..');
const clock = systemClock;
const out = (line = '') => process.stdout.write(`${line}\n`);
const progress = (line: string) => process.stderr.write(`bench: ${line}\n`);
const loadLine = () =>
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} (1/5/15 min) on ${cpus().length} CPUs`;

interface DrillFlags {
  platform: 'local' | 'kube';
  repeat: number;
  detection: 'auto' | 'prometheus' | 'probes';
  floorRepeats: number;
  drillTimeout: number;
  busyWait: number;
  kubeconfig?: string;
  context?: string;
}

const ctl = new AbortController();
let interruptedBy: NodeJS.Signals | undefined;
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.on(sig, () => {
    if (interruptedBy) return;
    interruptedBy = sig;
    progress(`${sig}: stopping after the current drill has restored the system...`);
    ctl.abort(sig);
  });

const results: Record<string, unknown> = {};
let missingRecords = 0;

function printDrills(r: DrillsBenchResult): void {
  out(`== drills on ${r.platform} (${loadLine()} at the end) ==`);
  for (const l of formatDrillTable(r)) out(l);
  out();
  for (const l of formatPhaseTable(r)) out(`  ${l}`);
  const summary = formatRepeatSummary(r);
  if (summary.length) {
    out();
    for (const l of summary) out(`  ${l}`);
  }
  out();
  for (const l of formatFloorLegend(r.floors, r.runs[0]?.floors ?? undefined)) out(l);
  out(
    `1-minute load average as each drill started: ${r.loadAverage1mAtStart.map((l) => l.toFixed(2)).join(', ')}`,
  );
  out(formatGoalSummary(r));
  const floorRatios = formatFloorRatios(r);
  if (floorRatios) out(floorRatios);
  for (const { measurement: m } of r.runs)
    if (!m.record) out(`  ${m.scenario} #${m.iteration}: no run record: ${m.error}`);
  out();
}

/** Loud on both streams: a bench without its kube half must not look complete. */
function skipKube(reason: string): void {
  const banner = `!!! kube drills ${reason}`;
  process.stderr.write(`${banner}\n`);
  if (!json()) out(`== drills on kube ==\n${banner}\n`);
  results['kube'] = { skipped: reason };
}

async function drills(
  names: readonly string[],
  f: DrillFlags,
  explicit: boolean,
): Promise<DrillsBenchResult | undefined> {
  await loadScenarios(repoRoot, names); // bad names fail here, before any stack starts
  const kube = {
    ...(f.kubeconfig ? { kubeconfig: resolve(f.kubeconfig) } : {}),
    ...(f.context ? { context: f.context } : {}),
  };
  if (f.platform === 'kube') {
    // Busy (another drill holds the namespace) means later, not unavailable.
    const why = await retryWhileBusy(
      () => kubeUnavailable({ kube, repoRoot, clock, log: stderrLogger() }),
      (r) => !(r instanceof Error) && isBusyRefusal(r),
      { budgetMs: f.busyWait * 1000, clock, signal: ctl.signal, progress },
    );
    if (why) {
      if (explicit) throw new UserError(`--platform kube: ${why}`);
      skipKube(`SKIPPED: ${why}`);
      return undefined;
    }
  }
  const r = await runDrillsBench({
    platform: f.platform,
    kube,
    scenarios: names,
    repeat: f.repeat,
    detection: f.detection,
    floorRepeats: f.floorRepeats,
    drillTimeoutMs: f.drillTimeout * 1000,
    busyWaitMs: f.busyWait * 1000,
    repoRoot,
    clock,
    log: stderrLogger(),
    signal: ctl.signal,
    progress,
  });
  missingRecords += r.runs.filter((x) => !x.measurement.record).length;
  results[f.platform] = { ...r, loadAverageAtEnd: loadavg() };
  if (!json()) printDrills(r);
  return r;
}

interface SeriesFlags {
  detection: DrillFlags['detection'];
  floorRepeats: number;
  drillTimeout: number;
}

async function series(f: SeriesFlags, floors?: PlatformFloors): Promise<void> {
  const r = await runSeriesBench({
    detection: f.detection,
    floorRepeats: f.floorRepeats,
    ...(floors ? { floors } : {}),
    timeoutMs: f.drillTimeout * 1000,
    repoRoot,
    clock,
    log: stderrLogger(),
    signal: ctl.signal,
    progress,
  });
  if (r.error) missingRecords += 1;
  results['series'] = { ...r, loadAverageAtEnd: loadavg() };
  if (json()) return;
  out(
    `== pnpm scenario --all on local (${loadLine()} at the end; ${r.loadAverage1mAtStart.toFixed(2)} at the start) ==`,
  );
  for (const l of formatSeries(r)) out(l);
  out();
}

async function fixture(): Promise<void> {
  progress('fixture: GET /v1/status and POST /v1/tasks under autocannon');
  const figures = await runFixtureBench({ print: progress });
  results['fixture'] = { figures, loadAverageAtEnd: loadavg() };
  if (json()) return;
  out(`== fixture: orchestrator on loopback (${loadLine()}) ==`);
  const rows = figures.map((f) => [
    f.route,
    String(f.requestsPerSecond),
    f.p50Ms.toFixed(1),
    f.p95Ms.toFixed(1),
    f.p99Ms.toFixed(1),
    String(f.requests),
    String(f.non2xx),
    String(f.errors),
  ]);
  for (const l of renderTable(
    ['route', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'requests', 'non-2xx', 'errors'],
    rows,
  ))
    out(l);
  out();
}

async function detection(repeats: number): Promise<void> {
  progress(`detection: ${repeats} flips per source`);
  const r = await benchDetectionLatency({ repeats, print: progress });
  results['detection'] = { results: r, loadAverageAtEnd: loadavg() };
  if (json()) return;
  out(`== detection latency vs floor (${loadLine()}) ==`);
  for (const x of r) out(formatBenchResult(x));
  out();
}

async function footprint(repeats: number): Promise<void> {
  const rows = await runFootprintBench({ repoRoot, repeats, progress });
  results['footprint'] = { parts: rows, loadAverageAtEnd: loadavg() };
  if (json()) return;
  out(`== footprint: peak RSS of a node process loading each part, median of ${repeats} (${loadLine()}) ==`);
  for (const l of formatFootprint(rows)) out(l);
  out();
}

const program = new Command('pnpm bench')
  .description('Speed and footprint of firedrill as printed figures, each next to its floor.')
  .option('--json', 'print one JSON document on stdout instead of tables')
  .addHelpText(
    'after',
    `
Goals (issues 4 and 20, on 2 cores): a local drill within 20 s wall time and 2.0 × its MTTR,
pnpm scenario --all on local within 45 s, a kube drill within 45 s; harness peak RSS under
150 MB on local, 190 MB on kube. Each is printed as met or not, next to its floor; they do not
change the exit code.
Exit codes: 0 every figure measured, 1 a drill left no run record, 2 bad input or harness error,
130/143 interrupted (the running drill restores first).`,
  )
  .showHelpAfterError()
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT.error));
const json = () => program.opts<{ json?: boolean }>().json === true;

/** What a drill child is run with: its detection, the restart floor's repeats, its time bound. */
const childOptions = (cmd: Command) =>
  cmd
    .addOption(
      new Option('--detection <source>', 'passed to pnpm scenario')
        .choices(['auto', 'prometheus', 'probes'])
        .default('auto'),
    )
    .option(
      '--floor-repeats <n>',
      'rollout restarts per workload for the restart floor',
      positiveInt('--floor-repeats'),
      2,
    )
    .option(
      '--drill-timeout <s>',
      'SIGTERM the child (a drill, or the --all invocation) after this many seconds',
      positiveInt('--drill-timeout'),
      600,
    );

const drillOptions = (cmd: Command) =>
  childOptions(
    cmd
      .addOption(
        new Option('--platform <platform>', 'where drills run').choices(['local', 'kube']).default('local'),
      )
      .option('--repeat <n>', 'drills per scenario', positiveInt('--repeat'), 1),
  )
    .option(
      '--busy-wait <s>',
      'kube: wait up to this many seconds in total while another drill holds the namespace',
      positiveInt('--busy-wait'),
      900,
    )
    .option('--kubeconfig <file>', 'kube: kubeconfig (default: the one pnpm cluster up writes)')
    .option('--context <name>', 'kube: context');

drillOptions(
  program
    .command('drills')
    .description(
      'each scenario as a real drill in a child process: wall, MTTD, MTTR, harness RSS/CPU vs floors',
    )
    .argument('[scenarios...]', 'scenario names (default: all)'),
).action(async (names: string[], f: DrillFlags) => {
  await drills(names, f, true);
});

childOptions(
  program
    .command('series')
    .description(
      'pnpm scenario --all on local in one child process (one stack and Prometheus for all drills): wall vs floor',
    ),
).action(async (f: SeriesFlags) => series(f));

program
  .command('fixture')
  .description('throughput and p95 of GET /v1/status and POST /v1/tasks on loopback')
  .action(fixture);

program
  .command('detection')
  .description('detection latency of Prometheus and the probes next to scrape + evaluation + for')
  .option('--repeat <n>', 'condition flips per source', positiveInt('--repeat'), 5)
  .action(async (f: { repeat: number }) => detection(f.repeat));

program
  .command('footprint')
  .description('peak RSS a node process reaches loading each part of the harness (client-node too)')
  .option('--repeat <n>', 'children per part', positiveInt('--repeat'), 3)
  .action(async (f: { repeat: number }) => footprint(f.repeat));

// No subcommand: everything, local drills first (the goals are about them), kube when it can run.
program.action(async () => {
  const base: DrillFlags = {
    platform: 'local',
    repeat: 1,
    detection: 'auto',
    floorRepeats: 2,
    drillTimeout: 600,
    busyWait: 900,
  };
  const local = await drills([], base, false);
  if (!ctl.signal.aborted) await series(base, local?.floors);
  if (!ctl.signal.aborted) {
    // The cluster is optional here: its failure is reported, and the other benches still run.
    await drills([], { ...base, platform: 'kube' }, false).catch((err: unknown) =>
      skipKube(`FAILED: ${err instanceof Error ? err.message : String(err)}`),
    );
  }
  if (!ctl.signal.aborted) await fixture();
  if (!ctl.signal.aborted) await detection(5);
  if (!ctl.signal.aborted) await footprint(3);
});

program.hook('preAction', () => {
  progress(`start: ${loadLine()}`);
});

await runCli(async () => {
  await program.parseAsync();
  if (json()) out(JSON.stringify({ cpus: cpus().length, ...results }, null, 2));
  if (interruptedBy) return interruptedBy === 'SIGINT' ? 130 : 143;
  return missingRecords > 0 ? EXIT.missed : EXIT.ok;
});

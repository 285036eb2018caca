/**
 * `pnpm scenario <name...>`: run fire drills and write their reports.
 */
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { kubeManifests, localStackFile, type Target } from '../config/load.ts';
import { systemClock } from '../core/clock.ts';
import { errorMessage, UserError } from '../core/errors.ts';
import { stderrLogger } from '../core/log.ts';
import { unwritableReason } from '../core/writable.ts';
import { OFF_LOOPBACK, openExistingMonitoring } from '../detection/existing-monitoring.ts';
import { onLoopback, parseMonitoringUrl, parsePort } from '../detection/monitoring-url.ts';
import { prometheusInstalled } from '../detection/prometheus.ts';
import { createFault } from '../faults/index.ts';
import type { RunRecord } from '../report/record.ts';
import { type DrillRequest, preflight } from '../run/compose.ts';
import { loadRunbook, planOutline } from '../run/runbook-plan.ts';
import { DrillSeries } from '../run/series.ts';
import { describeTarget, parseTargetFlag, resolveTargets, type TargetOverrides } from '../run/targets.ts';
import { testFaultFrom } from '../run/test-faults.ts';
import type { DrillMode } from '../run/types.ts';
import { allSteps, type Runbook } from '../runbook/model.ts';
import { listScenarioNames, loadScenario } from '../scenario/load.ts';
import type { Scenario } from '../scenario/schema.ts';
import { missingRoutes } from '../verify/checks.ts';
import { configOption, resolveTarget } from './config-option.ts';
import { EXIT, positiveInt, runCli } from './main.ts';
import { createProgress } from './progress.ts';
import { summaryLine, verdictExitCode, writeInvocationReports } from './reports.ts';

const repoRoot = resolve(import.meta.dirname, '..', '..');

/** Exit 128 + the signal's number, as a shell reports a process the signal ended. */
const SIGNAL_NUMBER = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGTERM: 15,
} as const;
type Interrupt = keyof typeof SIGNAL_NUMBER;

/**
 * A harness bug thrown outside the run loop's promise chain (a timer or event handler of a
 * platform or load generator, a rejection nobody awaits) would otherwise kill the harness with
 * the fault in place. EX_SOFTWARE from sysexits.h: distinct from a verdict (0/1), bad input (2)
 * and a signal (128+n).
 */
const EXIT_CRASHED = 70;
const CRASH_EVENTS = { uncaughtException: 'uncaught exception', unhandledRejection: 'unhandled rejection' };

const program = new Command('pnpm scenario')
  .description(
    'Run fire drills: break the system on purpose, let monitoring detect it, run the runbook, verify, restore.',
  )
  .argument('[names...]', 'scenario names (see --list) or paths to scenario files')
  .option('--all', 'run every scenario')
  .option('--list', 'list the scenarios and exit')
  .addOption(configOption())
  .addOption(
    new Option('--platform <platform>', 'where the system runs').choices(['local', 'kube']).default('local'),
  )
  .option('--kubeconfig <file>', 'kube: kubeconfig to use (default: the one `pnpm cluster up` writes)')
  .option('--context <name>', "kube: kubeconfig context (default: the file's current-context)")
  .option(
    '--allow-context <pattern>',
    'kube: also allow this context (glob); default allow-list kind-*, firedrill-local',
    (v: string, prev: string[] = []) => [...prev, v],
  )
  .option(
    '--allow-server <url-or-host>',
    'kube: also allow this API server off this machine (for an --allow-context context only)',
    (v: string, prev: string[] = []) => [...prev, v],
  )
  .option('--repeat <n>', 'run each scenario N times (MTTD/MTTR distributions)', positiveInt('--repeat'), 1)
  .option('--runbook <path>', "verify this runbook file instead of the scenario's own")
  .option(
    '--var <name=value>',
    'value for a runbook placeholder such as $TARGET_GROUP_ARN (repeatable); the drill fills $API_KEY, and $SEVERITY/$DURATION/$IMPACT from what it measured',
    collectVar,
    {} as Record<string, string>,
  )
  .option(
    '--allow-host-commands',
    'let runbook steps run host programs beyond the allow-list (kubectl, curl, grep, jq, ...); file writes and kubeconfig overrides stay refused',
  )
  .option(
    '--target-mttd <duration>',
    "MTTD target (e.g. 3m, 90s, 1h); default: the runbook's KPI section, else the scenario's",
    (v: string) => parseTargetFlag('--target-mttd', v),
  )
  .option(
    '--target-mttr <duration>',
    "MTTR target (e.g. 20m, 1h); default: the runbook's KPI section, else the scenario's",
    (v: string) => parseTargetFlag('--target-mttr', v),
  )
  .option('--control', 'control run: no fault; any alert that fires is a false positive')
  .option('--counterfactual', 'inject and detect, but do not remediate: was the runbook needed?')
  .addOption(
    new Option('--detection <source>', 'auto = Prometheus when installed, else built-in probes')
      .choices(['auto', 'prometheus', 'probes'])
      .default('auto'),
  )
  .option(
    '--prometheus-url <url>',
    'detect with this running Prometheus and its own rules (read only); firedrill starts none',
    (v: string) => parseMonitoringUrl('--prometheus-url', v),
  )
  .option(
    '--alertmanager-url <url>',
    'with --prometheus-url: the Alertmanager it sends to (read only); MTTD to the page is recorded',
    (v: string) => parseMonitoringUrl('--alertmanager-url', v),
  )
  .option(
    '--page-receiver-port <port>',
    "port on 127.0.0.1 of firedrill's webhook receiver for the Alertmanager's pages (default: any free one)",
    (v: string) => parsePort('--page-receiver-port', v),
  )
  .addOption(
    new Option(
      '--profile <profile>',
      'alert timing: fast (drill windows) or production (the runbook windows)',
    )
      .choices(['fast', 'production'])
      .default('fast'),
  )
  .option('--reports <dir>', 'where run records and reports are written', 'reports')
  .option('--dry-run', 'show what would be injected and which runbook steps would run; change nothing')
  .option('--json', 'print the run records as JSON on stdout')
  .option('--verbose', 'debug logging and stack traces')
  .addHelpText(
    'after',
    `
Exit codes: 0 every verdict passed (resolved by the runbook within targets), 1 a target missed,
not resolved by the runbook (extra steps needed), a false positive, or an aborted run,
2 bad input or harness error, 130/143/129 interrupted by SIGINT/SIGTERM/SIGHUP (after restoring),
70 the harness crashed mid-drill (uncaught exception or unhandled rejection; after restoring).

Examples:
  pnpm scenario db-outage
  pnpm scenario --all --repeat 3
  pnpm scenario db-outage --runbook ../shared/reference/api-outage-runbook.md
  pnpm scenario db-outage --control
  pnpm scenario db-outage --runbook my-runbook.md --dry-run   # which steps the step policy refuses`,
  )
  .showHelpAfterError()
  .exitOverride((err) => {
    process.exit(err.exitCode === 0 ? 0 : EXIT.error);
  });

function collectVar(pair: string, vars: Record<string, string>): Record<string, string> {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(pair);
  if (!m) throw new UserError(`--var: expected NAME=value, got "${pair}"`);
  return { ...vars, [m[1]!]: m[2]! };
}

interface Options {
  all?: boolean;
  list?: boolean;
  config: string;
  platform: 'local' | 'kube';
  kubeconfig?: string;
  context?: string;
  allowContext?: string[];
  allowServer?: string[];
  repeat: number;
  runbook?: string;
  var: Record<string, string>;
  allowHostCommands?: boolean;
  targetMttd?: number;
  targetMttr?: number;
  control?: boolean;
  counterfactual?: boolean;
  detection: 'auto' | 'prometheus' | 'probes';
  prometheusUrl?: string;
  alertmanagerUrl?: string;
  pageReceiverPort?: number;
  profile: 'fast' | 'production';
  reports: string;
  dryRun?: boolean;
  json?: boolean;
  verbose?: boolean;
}

/** The kube target; an extra allowed context adds to the defaults rather than replacing them. */
function kubeOptions(opts: Options) {
  return {
    ...(opts.kubeconfig ? { kubeconfig: resolve(opts.kubeconfig) } : {}),
    ...(opts.context ? { context: opts.context } : {}),
    allowContexts: opts.allowContext ?? [],
    allowServers: opts.allowServer ?? [],
  };
}

/** The guard without the network, for --dry-run: reads the kubeconfig, says where a drill would go. */
async function dryRunGuard(opts: Options): Promise<string> {
  const { guardedTarget, guardPolicy } = await import('../platforms/kube/guard.ts');
  const { STEP_IDENTITY } = await import('../platforms/kube/step-identity.ts');
  const kube = kubeOptions(opts);
  const target = guardedTarget(kube, guardPolicy(kube));
  return (
    `kube: context ${target.context}, API server ${target.server} (allowed; nothing contacted)\n` +
    `  runbook steps would act as ServiceAccount ${STEP_IDENTITY} (namespaced Role, no Secrets)\n`
  );
}

async function main(): Promise<number> {
  program.parse();
  const opts = program.opts<Options>();
  const names: string[] = program.args;
  const target = await resolveTarget(opts.config);
  const scenarioDir = target.scenarios;
  const defaults = target.targets ? { targets: target.targets } : {};
  const faultOptions = { adapters: target.faultAdapters, namespace: target.namespace };
  const runbookFileOf = (s: Scenario) =>
    opts.runbook ? resolve(opts.runbook) : resolve(repoRoot, s.runbook.file ?? target.runbook);

  if (opts.list) {
    for (const name of listScenarioNames(scenarioDir)) {
      const s = await loadScenario(name, scenarioDir, defaults);
      process.stdout.write(`${name.padEnd(22)} ${s.severity.padEnd(9)} ${s.title}\n`);
    }
    return EXIT.ok;
  }
  if (opts.control && opts.counterfactual)
    throw new UserError('--control and --counterfactual exclude each other');
  const selected = opts.all ? listScenarioNames(scenarioDir) : names;
  if (selected.length === 0)
    throw new UserError(
      `name a scenario or pass --all; available: ${listScenarioNames(scenarioDir).join(', ')}`,
    );

  // Validate everything before touching anything.
  const scenarios: Scenario[] = [];
  for (const name of selected) scenarios.push(await loadScenario(name, scenarioDir, defaults));
  const warnedRunbooks = new Set<string>();
  for (const s of scenarios) {
    refuseUnverifiable(s, target);
    if (!opts.control) createFault(s.fault, faultOptions); // a kind the target has no adapter for
    const file = runbookFileOf(s);
    const { runbook } = loadRunbook(file);
    planOutline(runbook, s);
    if (!warnedRunbooks.has(file)) warnUnusedVariables(opts.var, runbook, file);
    warnedRunbooks.add(file);
  }
  refuseMonitoringConflicts(opts);
  // a platform the config does not declare is refused here, --dry-run included
  if (opts.platform === 'kube') kubeManifests(target);
  else localStackFile(target);
  refuseUnfitProbes(opts, target);
  const mode: DrillMode = opts.control ? 'control' : opts.counterfactual ? 'counterfactual' : 'drill';
  const targetOverrides: TargetOverrides = {
    ...(opts.targetMttd !== undefined ? { mttdMs: opts.targetMttd } : {}),
    ...(opts.targetMttr !== undefined ? { mttrMs: opts.targetMttr } : {}),
  };

  if (opts.dryRun) {
    if (opts.platform === 'kube') process.stdout.write(await dryRunGuard(opts));
    if (opts.prometheusUrl) process.stdout.write(`${dryRunMonitoring(opts)}\n`);
    const publicUrl = target.entry.publicUrl;
    for (const s of scenarios) {
      const file = runbookFileOf(s);
      const { runbook } = loadRunbook(file);
      const outline = planOutline(runbook, s, {
        allowHostCommands: opts.allowHostCommands ?? false,
        hostMap: publicUrl ? { [publicUrl]: publicUrl } : {},
        variables: opts.var,
      });
      const t = resolveTargets(runbook, s, targetOverrides);
      const fault = mode === 'control' ? 'none (control run)' : createFault(s.fault, faultOptions).describe();
      process.stdout.write(
        `${s.name} (${s.title}) on ${opts.platform}, ${mode}\n  inject: ${fault}\n  detect: ${s.detection.alerts.join(' or ')} within ${s.detection.timeoutMs / 1000}s\n  runbook: ${file}, section "${outline.resolution.title}" (line ${outline.resolution.line})\n  targets: MTTD ${describeTarget(t.mttdMs, t.source.mttd, t.source.mttdLine)}, MTTR ${describeTarget(t.mttrMs, t.source.mttr, t.source.mttrLine)}\n`,
      );
      if (mode === 'drill') for (const l of outline.lines) process.stdout.write(`    ${l}\n`);
    }
    process.stdout.write('dry run: nothing was changed\n');
    return EXIT.ok;
  }

  const reportsDir = resolve(opts.reports);
  refuseUnwritable(reportsDir);

  const clock = systemClock;
  const log = stderrLogger({ verbose: opts.verbose ?? false });
  const progress = createProgress(clock);
  const ctl = new AbortController();
  const kube = opts.platform === 'kube' ? kubeOptions(opts) : undefined;
  let monitoring: Awaited<ReturnType<typeof openExistingMonitoring>> | undefined;
  const testFault = testFaultFrom(process.env);
  const request = (scenario: Scenario): DrillRequest => ({
    target,
    scenario,
    mode,
    platform: opts.platform,
    ...(kube ? { kube } : {}),
    ...(opts.runbook ? { runbookPath: resolve(opts.runbook) } : {}),
    variables: opts.var,
    ...(opts.allowHostCommands ? { allowHostCommands: true } : {}),
    targetOverrides,
    ...(testFault ? { testFault } : {}),
    detection: opts.detection,
    ...(monitoring ? { monitoring } : {}),
    profile: opts.profile,
    repoRoot,
    clock,
    log,
    signal: ctl.signal,
    onPhase: (p, w) => progress.phase(p, w),
  });
  // Every drill of this invocation runs on the same platform: one that cannot run any (missing
  // binaries, unreachable cluster) is refused now, in one line, before anything is written.
  await preflight(request(scenarios[0]!));
  monitoring = opts.prometheusUrl
    ? await openExistingMonitoring({
        prometheusUrl: opts.prometheusUrl,
        ...(opts.alertmanagerUrl ? { alertmanagerUrl: opts.alertmanagerUrl } : {}),
        ...(opts.pageReceiverPort !== undefined ? { pageReceiverPort: opts.pageReceiverPort } : {}),
        clock,
      })
    : undefined;
  if (monitoring?.receiver)
    progress.line(
      `page receiver: ${monitoring.receiver.url} (the Alertmanager's webhook_configs url for the scenario's alerts)`,
    );
  if (monitoring?.alertmanagerUrl && !onLoopback(monitoring.alertmanagerUrl))
    progress.line(`warning: ${OFF_LOOPBACK}`);

  let exitCode: number | undefined;
  const onSignal = (sig: Interrupt) => {
    if (exitCode) return; // already restoring; a second signal must not cut the restore short
    exitCode = 128 + SIGNAL_NUMBER[sig];
    progress.line(`${sig} received: stopping the drill and restoring the system...`);
    ctl.abort(sig);
  };
  // SIGHUP too: a closed terminal would otherwise end the harness with the fault still in place
  for (const sig of Object.keys(SIGNAL_NUMBER) as Interrupt[]) process.on(sig, () => onSignal(sig));
  for (const [event, what] of Object.entries(CRASH_EVENTS))
    process.on(event, (err: unknown) => {
      // always with the stack: this is a harness bug, and the report of it must say where
      const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
      progress.line(`firedrill: HARNESS CRASH (${what}), a bug in firedrill: ${detail}`);
      if (exitCode) return; // already restoring: the first cause names the exit
      exitCode = EXIT_CRASHED;
      progress.line('stopping the drill and restoring the system...');
      ctl.abort(new Error(`${what}: ${errorMessage(err)}`));
    });

  const records: RunRecord[] = [];
  // local: the drills share one stack and Prometheus, restored to the baseline and verified between
  // them; the user's own monitoring remembers what it saw, so there each drill has a fresh stack
  const series = new DrillSeries({ reuseStack: opts.platform === 'local' && !monitoring });
  const drills = scenarios.flatMap((scenario) =>
    Array.from({ length: opts.repeat }, (_, i) => ({
      scenario,
      label: `${scenario.name}${opts.repeat > 1 ? ` #${i + 1}` : ''}`,
    })),
  );
  try {
    for (const [n, { scenario, label }] of drills.entries()) {
      if (ctl.signal.aborted) break;
      progress.begin(label);
      let record: RunRecord | undefined;
      try {
        record = await series.run(request(scenario));
        records.push(record);
        if (n === drills.length - 1) await series.close(); // the last one: down before its summary
      } catch (err) {
        if (!ctl.signal.aborted) throw err;
        // Interrupted while the stack was coming up: the series took down what it had started.
        progress.line(`${scenario.name}: stopped before the drill began (${errorMessage(err)})`);
      } finally {
        progress.end();
      }
      if (record) process.stderr.write(`${summaryLine(record)}\n`);
    }
  } finally {
    await series.close(); // interrupted or failed: whatever is still up comes down
  }

  await monitoring?.close();
  const written = await writeInvocationReports(reportsDir, records, clock.now().wallMs);
  if (opts.json) process.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
  else process.stdout.write(`${written.map((f) => `report: ${f}`).join('\n')}\n`);
  if (exitCode) return exitCode;
  return verdictExitCode(records);
}

/** A scenario whose checks need routes the target's config does not give is refused before anything runs. */
function refuseUnverifiable(s: Scenario, target: Target): void {
  const missing = missingRoutes(s.verification.checks, target.checks);
  if (missing.length)
    throw new UserError(
      `scenario ${s.name}: verification.checks need ${missing.map((r) => `checks.${r}`).join(', ')}, which config ${target.file} does not set`,
    );
}

/** The built-in probes know one alert set; a system that does not declare them needs a Prometheus. */
function refuseUnfitProbes(opts: Options, target: Target): void {
  if (opts.prometheusUrl || target.probes) return;
  if (opts.detection === 'probes' || (opts.detection === 'auto' && !prometheusInstalled()))
    throw new UserError(
      `config ${target.file} declares no probes, so ${target.name} needs Prometheus for detection: apt-get install prometheus, set FIREDRILL_PROMETHEUS_BIN, or pass --prometheus-url`,
    );
}

/** Existing monitoring replaces firedrill's own detection: flags that configure that one conflict. */
function refuseMonitoringConflicts(opts: Options): void {
  if (opts.alertmanagerUrl && !opts.prometheusUrl)
    throw new UserError('--alertmanager-url needs --prometheus-url (the Prometheus that sends to it)');
  if (opts.pageReceiverPort !== undefined && !opts.alertmanagerUrl)
    throw new UserError('--page-receiver-port needs --alertmanager-url');
  if (!opts.prometheusUrl) return;
  if (program.getOptionValueSource('detection') === 'cli')
    throw new UserError('--prometheus-url replaces --detection: alert state comes from that Prometheus');
  if (program.getOptionValueSource('profile') === 'cli')
    throw new UserError("--prometheus-url replaces --profile: that Prometheus's own rules set the windows");
}

/** Where alert state and pages would come from; nothing is contacted. */
const dryRunMonitoring = (opts: Options): string =>
  `monitoring: alert state from the Prometheus at ${opts.prometheusUrl} and its own rules` +
  (opts.alertmanagerUrl
    ? `; pages from the Alertmanager at ${opts.alertmanagerUrl} to a receiver at ${opts.pageReceiverPort ? `127.0.0.1:${opts.pageReceiverPort}` : 'a free loopback port'}`
    : '') +
  ' (nothing contacted)';

/** A --var the runbook has no placeholder for is most likely a typo: say so, and run anyway. */
function warnUnusedVariables(vars: Record<string, string>, runbook: Runbook, file: string): void {
  const used = new Set(allSteps(runbook).flatMap((step) => step.placeholders));
  for (const name of Object.keys(vars).filter((n) => !used.has(n)))
    process.stderr.write(
      `warning: --var ${name}: runbook ${file} has no $${name} placeholder; the value is unused\n`,
    );
}

/** Refuse a reports directory that cannot be written, without creating it (that waits for the first report). */
function refuseUnwritable(dir: string): void {
  const why = unwritableReason(dir);
  if (why) throw new UserError(`reports directory ${dir} is not writable: ${why}; pass --reports <dir>`);
}

await runCli(main);

/**
 * The composition root of a drill: picks the platform, detection source, verifier, load and
 * runbook executor for one run, on a stack that series.ts brought up and takes down.
 * Everything below this file receives its collaborators; nothing reaches for globals.
 */

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { kubeManifests, localStackFile, type Target } from '../config/load.ts';
import type { Clock } from '../core/clock.ts';
import { UserError } from '../core/errors.ts';
import { defaultLedgerDir, Ledger, stateRoot } from '../core/ledger.ts';
import type { Logger } from '../core/log.ts';
import type { Phase } from '../core/timeline.ts';
import { loadProfileTiming } from '../detection/alert-source.ts';
import {
  describeMonitoring,
  type ExistingMonitoring,
  existingMonitoringSource,
} from '../detection/existing-monitoring.ts';
import { probeDetection } from '../detection/probes.ts';
import { controlWindow } from '../detection/projection.ts';
import { LocalPrometheus, PROMETHEUS_BINARY, prometheusInstalled } from '../detection/prometheus.ts';
import type { DetectionProfile, DetectionSource } from '../detection/types.ts';
import { isKubeStack } from '../platforms/kube/is-kube.ts';
import type { Platform, RunningStack } from '../platforms/types.ts';
import type { RunRecord } from '../report/record.ts';
import { shellExecutor } from '../runbook/shell-executor.ts';
import { translatedExecutor } from '../runbook/translated-executor.ts';
import type { Scenario } from '../scenario/schema.ts';
import { createHttpVerifier } from '../verify/checks.ts';
import { type RequestSample, type RunningLoad, startLoad } from '../verify/load.ts';
import { runDrill } from './loop.ts';
import { createRunbookPlan, type loadRunbook } from './runbook-plan.ts';
import type { TargetOverrides } from './targets.ts';
import { type TestFault, testFaultNote, withTestFault } from './test-faults.ts';
import type { BackgroundLoad, DrillMode } from './types.ts';

export interface DrillRequest {
  /** The drilled system, from its config (resolved once by the CLI). */
  readonly target: Target;
  readonly scenario: Scenario;
  readonly mode: DrillMode;
  readonly platform: 'local' | 'kube';
  /** kube only: which cluster (`--kubeconfig`, `--context`) and extra allowed contexts. */
  readonly kube?: {
    kubeconfig?: string;
    context?: string;
    allowContexts?: string[];
    allowServers?: string[];
  };
  /** Overrides the scenario's runbook file, and the target's (`--runbook`). */
  readonly runbookPath?: string;
  /** Values for runbook placeholders (`--var`). */
  readonly variables?: Readonly<Record<string, string>>;
  /** `--allow-host-commands`: runbook steps may run host programs off the allow-list (step-policy.ts). */
  readonly allowHostCommands?: boolean;
  /** `--target-mttd` / `--target-mttr`, in ms. */
  readonly targetOverrides?: TargetOverrides;
  /** The test hook (FIREDRILL_TEST_FAULTS), read once by the CLI: a hooked verdict is not a measurement. */
  readonly testFault?: TestFault;
  readonly detection: 'auto' | 'prometheus' | 'probes';
  /** `--prometheus-url` (and `--alertmanager-url`): detect with these, start no Prometheus of ours. */
  readonly monitoring?: ExistingMonitoring;
  readonly profile: DetectionProfile;
  readonly repoRoot: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly onPhase?: (phase: Phase, waitingFor: string) => void;
}

export const newRunId = (scenario: string, clock: Clock) =>
  `${new Date(clock.now().wallMs).toISOString().replace(/[:.]/g, '-')}-${scenario}-${randomBytes(3).toString('hex')}`;

async function createPlatform(req: DrillRequest, ledger: Ledger): Promise<Platform> {
  const { target } = req;
  if (req.platform === 'kube') {
    const { createKubePlatform } = await import('../platforms/kube/index.ts');
    return createKubePlatform({
      ...req.kube,
      namespace: target.namespace,
      manifests: kubeManifests(target),
      ledger,
      clock: req.clock,
      log: req.log,
    });
  }
  const { createLocalPlatform } = await import('../platforms/local/index.ts');
  return createLocalPlatform({
    stackFile: localStackFile(target),
    ledger,
    lockDir: join(stateRoot(), 'locks'),
    clock: req.clock,
    log: req.log,
  });
}

export const wantsPrometheus = (req: DrillRequest): boolean =>
  !req.monitoring && (req.detection === 'prometheus' || (req.detection === 'auto' && prometheusInstalled()));

/** A Prometheus launched before its targets are known; stop() is safe at any point. */
export interface EarlyPrometheus {
  readonly prom: LocalPrometheus;
  /** Settles when the launch does: the error, if it failed (the drill then aborts in steady state). */
  readonly launched: Promise<Error | undefined>;
  stop(): Promise<void>;
}

/**
 * Prometheus takes ~6 s to evaluate anything (its target discovery ticks every 5 s), about twice
 * as long as the local stack takes to come up: launched first, without targets, it starts while
 * the stack does, and gets the targets as soon as they exist.
 */
export function launchPrometheus(req: DrillRequest, stateDir: string, ledger: Ledger): EarlyPrometheus {
  const alerts = req.target.alerts;
  const prom = new LocalPrometheus({
    targets: [],
    profile: req.profile,
    ...(alerts ? { rulesFile: alerts.rules[req.profile], alertSource: alerts.source } : {}),
    stateDir,
    ledger,
    log: req.log,
    clock: req.clock,
  });
  const launched = prom.launch().then(
    () => undefined,
    (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
  );
  return {
    prom,
    launched,
    stop: async () => {
      await launched; // a launch under way would spawn after a stop
      await prom.stop();
    },
  };
}

async function createDetection(
  req: DrillRequest,
  stack: RunningStack,
  entryUrl: string,
  early: EarlyPrometheus | undefined,
  clear: Promise<string | undefined> | undefined,
): Promise<{ source: DetectionSource; feed?: (s: RequestSample) => void; note?: string }> {
  if (req.monitoring) {
    const expected = req.scenario.detection.alerts;
    const source = existingMonitoringSource(req.monitoring, { clock: req.clock, log: req.log, expected });
    return { source, note: describeMonitoring(req.monitoring) };
  }
  if (early && stack.scrapeTargets) {
    const { prom, launched } = early;
    const scrapeTargets = () => stack.scrapeTargets!();
    prom.setTargets(await scrapeTargets());
    let refresh: NodeJS.Timeout | undefined;
    return {
      source: {
        name: prom.name,
        // The run loop waits for detection as part of the steady-state phase.
        start: async () => {
          const failed = await launched;
          if (failed) throw failed;
          const stale = await clear;
          if (stale) throw new Error(stale);
          prom.setTargets(await scrapeTargets());
          // Instances come and go (crash loops, rollouts): keep Prometheus' targets current.
          refresh = setInterval(async () => {
            try {
              prom.setTargets(await scrapeTargets());
            } catch {}
          }, 1000);
          await prom.start();
        },
        poll: () => prom.poll(),
        // Prometheus itself belongs to the stack's site: it may serve the next drill
        stop: async () => {
          clearInterval(refresh);
        },
      },
    };
  }
  await early?.stop(); // a stack Prometheus cannot scrape: the probes detect
  const { entry, probes: evidence, alerts } = req.target;
  const probes = probeDetection({
    profile: req.profile,
    ...(alerts ? { timing: loadProfileTiming(req.profile, alerts.source) } : {}),
    entryUrl,
    statusOf: () => stack.status(entry.service),
    ...(evidence?.metrics
      ? { metricsUrl: `${await stack.endpoint(evidence.metrics.service)}${evidence.metrics.path}` }
      : {}),
    clock: req.clock,
    log: req.log,
  });
  return {
    source: probes,
    feed: (s) => probes.record(s),
    ...(wantsPrometheus(req)
      ? {}
      : { note: 'detection by built-in probes (Prometheus not installed or not chosen)' }),
  };
}

function backgroundLoad(start: () => RunningLoad): BackgroundLoad {
  let running: RunningLoad | undefined;
  return {
    start: () => {
      running ??= start();
    },
    stop: async () => {
      await running?.stop();
    },
    samples: () => running?.samples() ?? [],
  };
}

/** The platform, checked: throws UserError (one line) when it cannot run a drill. */
export async function checkedPlatform(req: DrillRequest, ledger: Ledger) {
  if (req.detection === 'prometheus' && !prometheusInstalled())
    throw new UserError(
      `--detection prometheus: ${PROMETHEUS_BINARY} not found; apt-get install prometheus, set FIREDRILL_PROMETHEUS_BIN, or use --detection probes`,
    );
  const platform = await createPlatform(req, ledger);
  const pre = await platform.preflight();
  if (!pre.ok) throw new UserError(`preflight (${req.platform}): ${pre.problems.join('; ')}`);
  return { platform, pre };
}

/**
 * Everything a drill checks before it changes anything (the platform's preflight: binaries,
 * cluster reachable), for a CLI to call once before its first drill so
 * bad input is refused with one line and nothing on disk. Each drill checks again (series.ts).
 */
export async function preflight(req: DrillRequest): Promise<void> {
  // Nothing is recorded in this ledger, so it never touches the disk.
  await checkedPlatform(req, Ledger.open(defaultLedgerDir(), newRunId(req.scenario.name, req.clock)));
}

export interface DrillSetup {
  readonly req: DrillRequest;
  readonly runId: string;
  readonly ledger: Ledger;
  readonly runbook: ReturnType<typeof loadRunbook> & { readonly file: string };
  readonly prometheus: EarlyPrometheus | undefined;
  /**
   * On a reused Prometheus: settles when the last drill's alerts are no longer active (a message
   * if they stay). Detection starts after it, so the steady-state rounds run meanwhile, and the
   * last drill's alerts never reach this drill's record.
   */
  readonly prometheusClear?: Promise<string | undefined>;
  readonly testFault: TestFault | undefined;
  readonly limitations: readonly string[];
}

/** The drill's collaborators on a running stack: runbook plan, detection, verifier, load. */
export async function drillOn(stack: RunningStack, setup: DrillSetup): Promise<RunRecord> {
  const { req, runId, ledger, prometheus, testFault } = setup;
  const { runbook, sha256, file: runbookFile } = setup.runbook;
  const { target } = req;
  const entryUrl = await stack.endpoint(target.entry.service);
  const apiKey = await apiKeyOf(target, stack);
  const hostMap = target.entry.publicUrl ? { [target.entry.publicUrl]: entryUrl } : {};
  // Filled while steps run (a step that cannot drop its uid says so once); read at the end.
  const stepLimitations: string[] = [];
  const plan = createRunbookPlan({
    file: runbookFile,
    runbook,
    sha256,
    scenario: req.scenario,
    stack,
    // kube: the runbook's commands run as written, with the real kubectl against the drill's
    // context only; local: kubectl steps are translated to platform verbs.
    executor: isKubeStack(stack)
      ? shellExecutor({
          kubeconfig: stack.stepKubeconfig,
          ledger,
          onLimitation: (l) => stepLimitations.push(l),
        })
      : translatedExecutor({
          perform: (a, s) => stack.perform(a, s),
          namespace: stack.namespace,
          podCount: async (w) => (await stack.status(w)).pods.length,
        }),
    hostMap,
    variables: { API_KEY: apiKey, ...req.variables },
    clock: req.clock,
    ...(req.allowHostCommands ? { policy: { allowHostCommands: true } } : {}),
    ...(req.targetOverrides ? { targetOverrides: req.targetOverrides } : {}),
  });
  const detection = await createDetection(req, stack, entryUrl, prometheus, setup.prometheusClear);
  const load = backgroundLoad(() =>
    startLoad({
      baseUrl: entryUrl,
      token: apiKey,
      ratePerSecond: 10,
      durationMs: 15 * 60_000,
      maxRequests: 10 * 15 * 60,
      connections: 4,
      mix: target.load.mix,
      paths: target.load.paths,
      clock: req.clock,
      log: req.log,
      ...(detection.feed ? { onSample: detection.feed } : {}),
    }),
  );
  stepLimitations.unshift(
    ...setup.limitations,
    ...(detection.note ? [detection.note] : []),
    ...(testFault ? [testFaultNote(testFault)] : []),
    ...unnamedDependencies(target),
  );
  const hooked = testFault
    ? withTestFault(testFault, req.scenario, plan, req.onPhase)
    : { scenario: req.scenario, plan, onPhase: req.onPhase };
  const alertSource = target.alerts?.source;
  const timings = {
    ran: loadProfileTiming(req.profile, alertSource),
    production: loadProfileTiming('production', alertSource),
  };
  return await runDrill({
    runId,
    scenario: hooked.scenario,
    mode: req.mode,
    stack,
    detection: detection.source,
    verifier: createHttpVerifier({
      baseUrl: entryUrl,
      apiKey,
      checks: req.scenario.verification.checks,
      routes: target.checks,
      taskCompletionTimeoutMs: req.scenario.verification.taskCompletionTimeoutMs,
      clock: req.clock,
    }),
    runbook: hooked.plan,
    load,
    ledger,
    clock: req.clock,
    log: req.log,
    signal: req.signal,
    // the user's own rules are their production windows: nothing to project
    ...(req.monitoring
      ? { alertProfile: 'production' as const }
      : { alertProfile: req.profile, alertTimings: timings }),
    controlWindowMs: controlWindow(timings.ran).ms,
    limitations: stepLimitations,
    dependencyKinds: target.escalation,
    faultOptions: { adapters: target.faultAdapters, namespace: target.namespace },
    ...(hooked.onPhase ? { onPhase: hooked.onPhase } : {}),
  });
}

/** Said in the record when escalation cannot tell a database or an external dependency apart. */
function unnamedDependencies(target: Target): string[] {
  const { database, external } = target.escalation;
  if (target.checks.dependencies.length === 0 || database.length + external.length > 0) return [];
  return [
    "escalation: the config's `escalation` names no database or external dependency, so the triggers for production database issues and external dependency failures are not checked",
  ];
}

/** The API key the checks and load send, from where the target's config says it is. */
export async function apiKeyOf(target: Target, stack: RunningStack): Promise<string> {
  const key = target.entry.apiKey;
  if (!key) return '';
  if ('value' in key) return key.value;
  return (await stack.status(target.entry.service)).env[key.fromEnv] ?? '';
}

/**
 * The run loop: preflight -> steady state -> inject -> detect -> remediate -> verify -> restore.
 * Every phase has a deadline; restore runs whatever happened before it. The record it returns
 * is derived from the timeline, never assembled from separate bookkeeping.
 */

import { isoOf } from '../core/clock.ts';
import { errorMessage, PhaseTimeout } from '../core/errors.ts';
import { deriveMetrics, deriveOutcome } from '../core/metrics.ts';
import { type Phase, Timeline } from '../core/timeline.ts';
import { alertWindows, project } from '../detection/projection.ts';
import { createFault, type InjectedFault } from '../faults/index.ts';
import { RUN_RECORD_VERSION, type RunRecord, type StepResult } from '../report/record.ts';
import { customerImpactMs } from '../verify/impact.ts';
import { summarizeLoad } from '../verify/load.ts';
import { type RecoveryWatch, watchRecovery } from '../verify/recovery.ts';
import { watchAlerts } from './alerts.ts';
import { escalationReasons } from './escalation.ts';
import { classifySeverity } from './severity.ts';
import type { DrillOptions, StepHooks } from './types.ts';

export async function runDrill(o: DrillOptions): Promise<RunRecord> {
  const { scenario, clock, log } = o;
  const tl = new Timeline(clock);
  const started = clock.now();
  const steps: StepResult[] = [];
  const restore = { ok: true, reverted: [] as string[], errors: [] as string[] };
  let abortReason: string | undefined;
  let injected: InjectedFault | undefined;
  let recovery: RecoveryWatch | undefined;
  let lastRoundFailures: readonly string[] = [];

  /** Run one phase under its deadline. Interrupts end every phase but restore, which must finish. */
  const phase = async <T>(
    name: Phase,
    timeoutMs: number,
    waitingFor: string,
    fn: (s: AbortSignal) => Promise<T>,
  ): Promise<T> => {
    o.onPhase?.(name, waitingFor);
    tl.add({ type: 'phase.start', phase: name });
    const interruptible = name !== 'restore';
    const ctl = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const stops: Promise<never>[] = [
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new PhaseTimeout(name, timeoutMs)), timeoutMs);
      }),
    ];
    if (interruptible)
      stops.push(
        new Promise<never>((_, reject) => {
          // a signal's name reads "interrupted (SIGINT)"; an Error reason (a harness crash) is
          // the drill's abort reason as it stands
          onAbort = () =>
            reject(
              o.signal.reason instanceof Error
                ? o.signal.reason
                : new Error(`interrupted (${String(o.signal.reason ?? 'signal')})`),
            );
          if (o.signal.aborted) onAbort();
          else o.signal.addEventListener('abort', onAbort, { once: true });
        }),
      );
    try {
      const result = await Promise.race([fn(ctl.signal), ...stops]);
      tl.add({ type: 'phase.end', phase: name, ok: true });
      return result;
    } catch (err) {
      ctl.abort(err);
      tl.add({ type: 'phase.end', phase: name, ok: false, error: errorMessage(err) });
      throw err;
    } finally {
      clearTimeout(timer);
      if (onAbort) o.signal.removeEventListener('abort', onAbort);
    }
  };

  const hooks: StepHooks = {
    onStart: (s) => tl.add({ type: 'step.start', stepId: s.id, title: s.title, extra: s.extra }),
    onEnd: (r) => {
      steps.push(r);
      tl.add({
        type: 'step.end',
        stepId: r.id,
        status: r.status,
        ...(r.exitCode === null ? {} : { exitCode: r.exitCode }),
      });
    },
    checkHealth: async () => (await o.verifier.round()).passed,
    outageInForce: () => o.mode !== 'control' && injected !== undefined && !recovery?.recoveredAt(),
  };

  const alerts = watchAlerts(o.detection, {
    clock,
    timeline: tl,
    pollMs: o.detectionPollMs ?? 500,
    expected: o.mode === 'control' ? [] : scenario.detection.alerts,
    log,
  });

  /** The incident as the drill measured it so far, for the runbook's post-incident placeholders. */
  const incidentFacts = (): Record<string, string> => {
    const injectedAt = tl.first('injected')?.at;
    const recoveredAt = tl.first('recovered')?.at;
    const samples = (o.load?.samples() ?? []).filter((s) => injectedAt && s.at.monoMs >= injectedAt.monoMs);
    return {
      SEVERITY: classifySeverity(samples),
      DURATION:
        injectedAt && recoveredAt
          ? `${Math.round((recoveredAt.monoMs - injectedAt.monoMs) / 1000)}s`
          : 'unknown',
      IMPACT: `${Math.round(customerImpactMs(samples, { latencyThresholdMs: 2000 }) / 1000)}s-customer-impact`,
    };
  };

  let reachedInject = false;
  try {
    await phase(
      'steady-state',
      scenario.timeouts.steadyStateMs,
      'the system to pass verification',
      async (signal) => {
        // Detection can take seconds to evaluate anything (Prometheus ~6 s): the rounds run
        // meanwhile. Steady = the integrity records written, N consecutive passing rounds with
        // no alert firing, and a poll of the evaluating detection with no alert pending either.
        let detecting = false;
        let detectionFailed: Error | undefined;
        const detectionSettled = o.detection.start().then(
          () =>
            alerts.start().then(() => {
              detecting = true;
            }),
          (err: unknown) => {
            detectionFailed = err instanceof Error ? err : new Error(String(err));
          },
        );
        o.load?.start();
        let streak = 0;
        let prepared = false;
        for (;;) {
          signal.throwIfAborted();
          if (detectionFailed) throw detectionFailed;
          prepared ||= await o.verifier.prepare().then(
            () => true,
            (err: unknown) => {
              log.debug('integrity records not written yet', { error: errorMessage(err) });
              return false;
            },
          );
          const round = await o.verifier.round(signal);
          const firing = alerts.firingNow();
          const pending = alerts.pendingNow();
          lastRoundFailures = [
            ...round.failures,
            ...(prepared ? [] : ['data-integrity: records could not be written yet']),
            ...firing.map((a) => `alert ${a} firing before any fault`),
            ...pending.map((a) => `alert ${a} pending before any fault`),
            ...(detecting ? [] : [`detection (${o.detection.name}) not evaluating yet`]),
          ];
          streak = prepared && round.passed && firing.length === 0 ? streak + 1 : 0;
          if (streak >= scenario.verification.consecutivePasses && detecting && pending.length === 0) break;
          if (streak === 0) log.debug('steady state not yet reached', { failures: lastRoundFailures });
          // Passes in, detection still starting: check again as soon as it evaluates.
          const awaitingDetection =
            streak >= scenario.verification.consecutivePasses && !detecting && !detectionFailed;
          const nap = new AbortController();
          await Promise.race([
            clock.sleep(scenario.verification.intervalMs, AbortSignal.any([signal, nap.signal])),
            ...(awaitingDetection ? [detectionSettled] : []),
          ]);
          nap.abort();
        }
      },
    );

    reachedInject = true;
    const fault = createFault(o.mode === 'control' ? { kind: 'none' } : scenario.fault);
    await phase('inject', scenario.timeouts.injectMs, fault.describe(), async (signal) => {
      if (o.mode !== 'control') alerts.arm();
      injected = await fault.inject({
        stack: o.stack,
        ledger: o.ledger,
        clock,
        log,
        confirmTimeoutMs: scenario.timeouts.injectMs,
        signal,
      });
      const at = tl.add({ type: 'injected', fault: injected.description }, injected.appliedAt).at;
      alerts.confirmInjected(at);
    });

    recovery = watchRecovery(o.verifier, {
      clock,
      consecutivePasses: scenario.verification.consecutivePasses,
      intervalMs: scenario.verification.intervalMs,
      onRound: (r) => {
        lastRoundFailures = r.failures;
        tl.add({ type: 'verify.round', passed: r.passed, failures: [...r.failures] });
      },
    });
    recovery.recovered.then((at) => tl.add({ type: 'recovered' }, at));

    // a control run watches a quiet system for a while: anything that fires is a false positive
    const detectWindow = o.mode === 'control' ? (o.controlWindowMs ?? 30_000) : scenario.detection.timeoutMs;
    if (o.mode === 'control')
      tl.add({ type: 'note', message: `control window ${Math.round(detectWindow / 1000)} s` });
    await phase(
      'detect',
      detectWindow + 1000,
      `alert ${scenario.detection.alerts.join(' or ')}`,
      async (signal) => {
        const untilRecovered =
          o.mode === 'control' ? new Promise<void>(() => {}) : recovery!.recovered.then(() => {});
        await Promise.race([alerts.detected, untilRecovered, clock.sleep(detectWindow, signal)]);
      },
    );

    if (o.mode === 'drill' && !recovery.recoveredAt()) {
      await phase(
        'remediate',
        scenario.timeouts.remediateMs,
        `runbook section "${o.runbook.section}"`,
        async (signal) => {
          await o.runbook.investigate(hooks, signal);
          tl.add({ type: 'remediation.started' });
          await o.runbook.remediate(hooks, signal);
          const settled = await Promise.race([
            recovery!.recovered.then(() => true),
            clock.sleep(o.settleMs ?? 15_000, signal).then(() => false),
          ]);
          if (!settled && !recovery!.lastPassed() && o.runbook.hasExtraSteps) {
            log.info(
              'runbook steps did not restore health; running the scenario extra steps (not in the runbook)',
            );
            await o.runbook.extra(hooks, signal);
          }
        },
      );
    }

    if (o.mode !== 'control') {
      await phase(
        'verify',
        scenario.timeouts.verifyMs,
        `${scenario.verification.consecutivePasses} passing rounds`,
        () => recovery!.recovered.then(() => undefined),
      ).catch((err) => {
        if (!(err instanceof PhaseTimeout)) throw err; // not recovered in time: outcome unresolved
      });
      if (recovery.recoveredAt() && o.mode === 'drill') {
        await o.runbook
          .afterRecovery(hooks, o.signal, incidentFacts())
          .catch((err) => log.warn(`post-recovery steps: ${errorMessage(err)}`));
      }
    }
  } catch (err) {
    if (!reachedInject || !injected || !(err instanceof PhaseTimeout)) {
      abortReason = errorMessage(err);
      if (lastRoundFailures.length && !reachedInject)
        abortReason += ` (last verification: ${lastRoundFailures.join('; ')})`;
    }
    if (err instanceof PhaseTimeout && injected) log.warn(errorMessage(err));
    else log.warn(`drill stopped: ${errorMessage(err)}`);
  } finally {
    await phase('restore', scenario.timeouts.restoreMs, 'faults to be reverted', async () => {
      recovery?.stop();
      if (injected) {
        try {
          await injected.revert();
          restore.reverted.push(injected.description);
          tl.add({ type: 'reverted', what: injected.description, ok: true });
        } catch (err) {
          restore.ok = false;
          restore.errors.push(`${injected.description}: ${errorMessage(err)}`);
          tl.add({ type: 'reverted', what: injected.description, ok: false, error: errorMessage(err) });
        }
      }
      await o.load?.stop();
      await alerts.stop();
      await o.detection.stop();
    }).catch((err) => {
      restore.ok = false;
      restore.errors.push(errorMessage(err));
    });
  }

  const events = tl.events();
  const measured = deriveMetrics(events);
  const detectedBy = tl.first('detected')?.alert;
  const windows = detectedBy && o.alertTimings ? alertWindows(detectedBy, o.alertTimings) : undefined;
  // A fast-profile run is judged on what the production windows would have given.
  const projected =
    windows && windows.profile === 'fast'
      ? {
          projectedMttdMs: project(measured.mttdMs, windows),
          projectedMttrMs: project(measured.mttrMs, windows),
        }
      : undefined;
  const metrics = { ...measured, ...projected };
  const judgedMttd = projected ? projected.projectedMttdMs : measured.mttdMs;
  const judgedMttr = projected ? projected.projectedMttrMs : measured.mttrMs;
  const outcome = deriveOutcome(events, { aborted: abortReason !== undefined });
  const samples = o.load?.samples() ?? [];
  const injectedAt = tl.first('injected')?.at.monoMs;
  const incidentSamples = injectedAt === undefined ? [] : samples.filter((s) => s.at.monoMs >= injectedAt);
  const observedSeverity = classifySeverity(incidentSamples);
  // The runbook's own targets (or --target-* flags) when the plan resolved them, else the scenario's.
  const targets = o.runbook.targets ?? scenario.targets;
  const judged = { ...scenario, targets: { mttdMs: targets.mttdMs, mttrMs: targets.mttrMs } };
  const recoveredAt = tl.first('recovered')?.at.monoMs ?? Number.POSITIVE_INFINITY;
  const incidentFailures = events.flatMap((e) =>
    e.type === 'verify.round' &&
    injectedAt !== undefined &&
    e.at.monoMs >= injectedAt &&
    e.at.monoMs <= recoveredAt
      ? e.failures
      : [],
  );
  const reasons = escalationReasons({
    outcome,
    metrics: { ...metrics, mttdMs: judgedMttd, mttrMs: judgedMttr },
    scenario: judged,
    lastRoundFailures,
    steps,
    incidentFailures,
    observedSeverity,
  });
  const resolved = outcome === 'resolved-by-runbook' || outcome === 'resolved-with-extra-steps';
  const targetsMet =
    o.mode === 'control'
      ? alerts.fired().length === 0 && outcome !== 'aborted'
      : resolved &&
        judgedMttd !== null &&
        judgedMttd < targets.mttdMs &&
        judgedMttr !== null &&
        judgedMttr < targets.mttrMs;

  return {
    version: RUN_RECORD_VERSION,
    runId: o.runId,
    scenario: { name: scenario.name, title: scenario.title, severity: scenario.severity },
    control: o.mode === 'control',
    counterfactual: o.mode === 'counterfactual',
    platform: o.stack.platform,
    detectionSource: o.detection.name,
    ...(o.alertProfile ? { alertProfile: o.alertProfile } : {}),
    ...(windows ? { alertWindows: windows } : {}),
    runbook: {
      file: o.runbook.file,
      section: o.runbook.section,
      ...(o.runbook.sha256 ? { sha256: o.runbook.sha256 } : {}),
    },
    hostMap: { ...o.runbook.hostMap },
    startedAt: isoOf(started),
    finishedAt: isoOf(clock.now()),
    outcome,
    ...(abortReason ? { abortReason } : {}),
    metrics: {
      ...metrics,
      customerImpactMs:
        injectedAt === undefined ? null : customerImpactMs(incidentSamples, { latencyThresholdMs: 2000 }),
    },
    targets: o.runbook.targets
      ? { ...o.runbook.targets, source: { ...o.runbook.targets.source } }
      : { ...scenario.targets, source: { mttd: 'scenario', mttr: 'scenario' } },
    targetsMet,
    observedSeverity,
    escalated: reasons.length > 0,
    escalationReasons: reasons,
    alertsFired: alerts.fired(),
    steps,
    restore,
    timeline: events.map((e) => ({ ...e })),
    ...(samples.length ? { load: pickLoad(summarizeLoad(samples)) } : {}),
    limitations: [...(o.limitations ?? []), ...(injected?.limitations ?? [])],
  };
}

const pickLoad = ({ requests, errors, p95Ms }: ReturnType<typeof summarizeLoad>) => ({
  requests,
  errors,
  p95Ms,
});

/**
 * The phases a drill is made of, each a function of the drill's shared state that returns the
 * phase to run (or undefined: nothing to do). They know nothing of modes: a Plan (plan.ts)
 * says which ones a mode runs, in which order.
 */

import { errorMessage } from '../core/errors.ts';
import type { Session } from '../core/session.ts';
import type { Timeline } from '../core/timeline.ts';
import { createFault, type InjectedFault } from '../faults/index.ts';
import type { Fault } from '../scenario/schema.ts';
import { type RecoveryWatch, watchRecovery } from '../verify/recovery.ts';
import type { AlertWatch } from './alerts.ts';
import type { PhaseRun } from './phase.ts';
import { incidentFacts } from './record-of.ts';
import type { DrillOptions, StepHooks } from './types.ts';

/** What every phase of one drill shares: its options, timeline, alert watch, undo list and what it has done. */
export interface Drill {
  readonly o: DrillOptions;
  readonly tl: Timeline;
  readonly alerts: AlertWatch;
  /** The drill's own undo list: restore is closing it. */
  readonly session: Session;
  readonly hooks: StepHooks;
  injected?: InjectedFault;
  recovery?: RecoveryWatch;
  /** Why the last steady-state round did not count; empty once steady state holds. */
  baselineFailures: readonly string[];
}

export type PlanStep = (d: Drill) => PhaseRun | undefined;

/**
 * Detection can take seconds to evaluate anything (Prometheus ~6 s): the rounds run meanwhile.
 * Steady = the integrity records written, N consecutive passing rounds with no alert firing, and
 * a poll of the evaluating detection with no alert pending either.
 */
export const steadyState: PlanStep = (d) => ({
  phase: 'steady-state',
  deadlineMs: d.o.scenario.timeouts.steadyStateMs,
  waitingFor: 'the system to pass verification',
  run: (signal) => untilSteady(d, signal),
});

async function untilSteady(d: Drill, signal: AbortSignal): Promise<void> {
  const { o, alerts } = d;
  const { consecutivePasses, intervalMs } = o.scenario.verification;
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
        o.log.debug('integrity records not written yet', { error: errorMessage(err) });
        return false;
      },
    );
    const round = await o.verifier.round(signal);
    const firing = alerts.firingNow();
    const pending = alerts.pendingNow();
    d.baselineFailures = [
      ...round.failures,
      ...(prepared ? [] : ['data-integrity: records could not be written yet']),
      ...firing.map((a) => `alert ${a} firing before any fault`),
      ...pending.map((a) => `alert ${a} pending before any fault`),
      ...(detecting ? [] : [`detection (${o.detection.name}) not evaluating yet`]),
    ];
    streak = prepared && round.passed && firing.length === 0 ? streak + 1 : 0;
    if (streak >= consecutivePasses && detecting && pending.length === 0) {
      d.baselineFailures = [];
      return;
    }
    if (streak === 0) o.log.debug('steady state not yet reached', { failures: d.baselineFailures });
    // Passes in, detection still starting: check again as soon as it evaluates.
    const awaitingDetection = streak >= consecutivePasses && !detecting && !detectionFailed;
    const nap = new AbortController();
    await Promise.race([
      o.clock.sleep(intervalMs, AbortSignal.any([signal, nap.signal])),
      ...(awaitingDetection ? [detectionSettled] : []),
    ]);
    nap.abort();
  }
}

/**
 * Inject `fault`, then watch for recovery from that moment on. `armed`: from now on the
 * scenario's alerts are the expected detection, not false positives.
 */
export const inject =
  (faultOf: (d: Drill) => Fault, opts: { armed: boolean }): PlanStep =>
  (d) => {
    const fault = createFault(faultOf(d), d.o.faultOptions);
    const { o, tl, alerts } = d;
    return {
      phase: 'inject',
      deadlineMs: o.scenario.timeouts.injectMs,
      waitingFor: fault.describe(),
      run: async (signal) => {
        if (opts.armed) alerts.arm();
        const injected = await fault.inject({
          stack: o.stack,
          ledger: o.ledger,
          clock: o.clock,
          log: o.log,
          confirmTimeoutMs: o.scenario.timeouts.injectMs,
          signal,
        });
        d.injected = injected;
        d.session.defer(() => revert(tl, injected));
        const at = tl.add({ type: 'injected', fault: injected.description }, injected.appliedAt).at;
        alerts.confirmInjected(at);
        d.recovery = watchFromNowOn(d);
      },
    };
  };

/** A revert that fails is recorded (the restore then reads failed), never thrown: the other undos still run. */
async function revert(tl: Timeline, injected: InjectedFault): Promise<void> {
  try {
    await injected.revert();
    tl.add({ type: 'reverted', what: injected.description, ok: true });
  } catch (err) {
    tl.add({ type: 'reverted', what: injected.description, ok: false, error: errorMessage(err) });
  }
}

function watchFromNowOn(d: Drill): RecoveryWatch {
  const { verification } = d.o.scenario;
  const recovery = watchRecovery(d.o.verifier, {
    clock: d.o.clock,
    consecutivePasses: verification.consecutivePasses,
    intervalMs: verification.intervalMs,
    onRound: (r) => {
      d.tl.add({ type: 'verify.round', passed: r.passed, failures: [...r.failures] });
    },
  });
  d.session.defer(() => recovery.stop());
  recovery.recovered.then((at) => d.tl.add({ type: 'recovered' }, at));
  return recovery;
}

const alertNames = (d: Drill) => `alert ${d.o.scenario.detection.alerts.join(' or ')}`;

/** Until an expected alert fires, the system recovers by itself, or the detection timeout. */
export const detect: PlanStep = (d) => {
  const windowMs = d.o.scenario.detection.timeoutMs;
  return {
    phase: 'detect',
    deadlineMs: windowMs + 1000,
    waitingFor: alertNames(d),
    run: (signal) =>
      Promise.race([d.alerts.detected, d.recovery!.recovered, d.o.clock.sleep(windowMs, signal)]),
  };
};

/** Watch the unbroken system for a while: anything that fires is a false positive. */
export const watchQuietly: PlanStep = (d) => {
  const windowMs = d.o.controlWindowMs ?? 30_000;
  return {
    phase: 'detect',
    note: `control window ${Math.round(windowMs / 1000)} s`,
    deadlineMs: windowMs + 1000,
    waitingFor: alertNames(d),
    run: (signal) => Promise.race([d.alerts.detected, d.o.clock.sleep(windowMs, signal)]),
  };
};

/**
 * The runbook's investigation and resolution steps, while the incident is live (not when the
 * system already came back by itself). If they did not restore health within the settle time,
 * the scenario's extra steps run: the runbook lacked them.
 */
export const remediate: PlanStep = (d) => {
  const { o, hooks } = d;
  const recovery = d.recovery!;
  if (recovery.recoveredAt()) return undefined;
  return {
    phase: 'remediate',
    deadlineMs: o.scenario.timeouts.remediateMs,
    waitingFor: `runbook section "${o.runbook.section}"`,
    run: async (signal) => {
      await o.runbook.investigate(hooks, signal);
      d.tl.add({ type: 'remediation.started' });
      await o.runbook.remediate(hooks, signal);
      const settled = await Promise.race([
        recovery.recovered.then(() => true),
        o.clock.sleep(o.settleMs ?? 15_000, signal).then(() => false),
      ]);
      if (!settled && !recovery.lastPassed() && o.runbook.hasExtraSteps) {
        o.log.info(
          'runbook steps did not restore health; running the scenario extra steps (not in the runbook)',
        );
        await o.runbook.extra(hooks, signal);
      }
    },
  };
};

/** N consecutive passing rounds; not recovering in time is the outcome `unresolved`, not an abort. */
export const verify: PlanStep = (d) => ({
  phase: 'verify',
  deadlineMs: d.o.scenario.timeouts.verifyMs,
  waitingFor: `${d.o.scenario.verification.consecutivePasses} passing rounds`,
  run: () => d.recovery!.recovered,
  deadlineIsOutcome: true,
});

/** The runbook's verification and post-incident steps, once recovered; their failure is a finding, not the drill's. */
export async function afterRecovery(d: Drill): Promise<void> {
  if (!d.recovery?.recoveredAt()) return;
  const facts = incidentFacts(d.tl.events(), d.o.load?.samples() ?? []);
  await d.o.runbook
    .afterRecovery(d.hooks, d.o.signal, facts)
    .catch((err) => d.o.log.warn(`post-recovery steps: ${errorMessage(err)}`));
}

/** Undo what the drill started, last first; uninterruptible (the runner never races it with the interrupt). */
export const restore = (d: Drill): PhaseRun => ({
  phase: 'restore',
  deadlineMs: d.o.scenario.timeouts.restoreMs,
  waitingFor: 'faults to be reverted',
  run: () => d.session.close(),
});

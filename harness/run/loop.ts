/**
 * The run loop: the mode's plan (preflight -> steady state -> inject -> detect -> remediate ->
 * verify), each phase under its deadline, then restore whatever happened. The record is
 * derived from the timeline by recordOf, never assembled from separate bookkeeping.
 */

import { errorMessage, PhaseTimeout } from '../core/errors.ts';
import { Session } from '../core/session.ts';
import { Timeline } from '../core/timeline.ts';
import type { RunRecord } from '../report/record.ts';
import type { StepResult } from '../runbook/step-result.ts';
import { watchAlerts } from './alerts.ts';
import { runPhase } from './phase.ts';
import { type Drill, restore } from './phases.ts';
import { PLANS } from './plan.ts';
import { recordOf } from './record-of.ts';
import type { DrillOptions, StepHooks } from './types.ts';

export async function runDrill(o: DrillOptions): Promise<RunRecord> {
  const plan = PLANS[o.mode];
  const tl = new Timeline(o.clock);
  const startedAt = o.clock.now();
  const steps: StepResult[] = [];
  const alerts = watchAlerts(o.detection, {
    clock: o.clock,
    timeline: tl,
    pollMs: o.detectionPollMs ?? 500,
    expected: plan.expectsAlerts ? o.scenario.detection.alerts : [],
    log: o.log,
  });
  const session = new Session();
  // Stopped last to first whether or not they ever started: detection, its poller, the traffic.
  session.defer(() => o.detection.stop());
  session.defer(() => alerts.stop());
  session.defer(() => o.load?.stop());
  const d: Drill = { o, tl, alerts, session, hooks: stepHooks(o, tl, steps, () => d), baselineFailures: [] };
  const ctx = { timeline: tl, interrupt: o.signal, ...(o.onPhase ? { onPhase: o.onPhase } : {}) };

  let abortReason: string | undefined;
  try {
    for (const step of plan.phases) {
      const p = step(d);
      if (p) await runPhase(ctx, p);
    }
    await plan.afterwards?.(d);
  } catch (err) {
    // A deadline after the fault is in is an outcome (unresolved, not detected); anything else
    // leaves no verdict.
    const outcome = err instanceof PhaseTimeout && d.injected !== undefined;
    if (!outcome)
      abortReason =
        errorMessage(err) +
        (d.baselineFailures.length ? ` (last verification: ${d.baselineFailures.join('; ')})` : '');
    o.log.warn(outcome ? errorMessage(err) : `drill stopped: ${errorMessage(err)}`);
  } finally {
    await runPhase(ctx, restore(d)).catch(() => undefined); // the restore's failure is on the timeline
  }

  return recordOf(tl.events(), {
    runId: o.runId,
    scenario: o.scenario,
    mode: o.mode,
    platform: o.stack.platform,
    detectionSource: o.detection.name,
    ...(o.alertProfile ? { alertProfile: o.alertProfile } : {}),
    ...(o.alertTimings ? { alertTimings: o.alertTimings } : {}),
    runbook: o.runbook,
    startedAt,
    finishedAt: o.clock.now(),
    ...(abortReason === undefined ? {} : { abortReason }),
    steps,
    alertsFired: alerts.fired(),
    samples: o.load?.samples() ?? [],
    limitations: [...(o.limitations ?? []), ...(d.injected?.limitations ?? [])],
    ...(o.dependencyKinds ? { dependencyKinds: o.dependencyKinds } : {}),
  });
}

/** What the runbook executor reports back: every step start and end lands on the timeline. */
function stepHooks(o: DrillOptions, tl: Timeline, steps: StepResult[], drill: () => Drill): StepHooks {
  return {
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
    // after injection, the round the recovery watch starts next (on the timeline, no extra task)
    checkHealth: async (signal) =>
      (await (drill().recovery?.nextRound(signal) ?? o.verifier.round(signal))).passed,
    outageInForce: () => drill().injected !== undefined && !drill().recovery?.recoveredAt(),
  };
}

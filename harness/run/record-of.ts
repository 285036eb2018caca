/**
 * The run record as a pure function of the timeline and the few facts a timeline cannot hold
 * (who ran, against what, the step results, the traffic). Metrics, outcome, restore, severity,
 * impact and escalation are all derived here, so a record cannot disagree with what happened.
 */

import { type Instant, isoOf } from '../core/clock.ts';
import { deriveMetrics, deriveOutcome } from '../core/metrics.ts';
import type { Stamped } from '../core/timeline.ts';
import { alertWindows, type ProfileTimings, project } from '../detection/projection.ts';
import type { DetectionProfile } from '../detection/types.ts';
import type { DependencyKinds } from '../report/escalation-triggers.ts';
import { RUN_RECORD_VERSION, type RunRecord } from '../report/record.ts';
import type { StepResult } from '../runbook/step-result.ts';
import type { Scenario } from '../scenario/schema.ts';
import { customerImpactMs } from '../verify/impact.ts';
import { type RequestSample, summarizeLoad } from '../verify/load.ts';
import { escalations } from './escalation.ts';
import { classifySeverity } from './severity.ts';
import type { ResolvedTargets } from './targets.ts';
import type { DrillMode } from './types.ts';

/** Above this latency a request of the drill's traffic counts as customer impact. */
const IMPACT_LATENCY_MS = 2000;

export interface RunFacts {
  readonly runId: string;
  readonly scenario: Scenario;
  readonly mode: DrillMode;
  readonly platform: RunRecord['platform'];
  readonly detectionSource: string;
  readonly alertProfile?: DetectionProfile;
  readonly alertTimings?: ProfileTimings;
  readonly runbook: {
    readonly file: string;
    readonly section: string;
    readonly sha256?: string;
    readonly hostMap: Readonly<Record<string, string>>;
    readonly targets?: ResolvedTargets;
  };
  readonly startedAt: Instant;
  readonly finishedAt: Instant;
  /** Set when the drill stopped without a verdict (preflight, steady state, a harness error). */
  readonly abortReason?: string;
  readonly steps: readonly StepResult[];
  readonly alertsFired: RunRecord['alertsFired'];
  readonly samples: readonly RequestSample[];
  readonly limitations: readonly string[];
  /** The config's database and external dependencies, for the escalation triggers that name them. */
  readonly dependencyKinds?: DependencyKinds;
}

const instantOf = (events: readonly Stamped[], type: Stamped['type']) =>
  events.find((e) => e.type === type)?.at;

/** The drill's traffic from the moment the fault took effect: what customers would have seen. */
export function incidentSamples(
  events: readonly Stamped[],
  samples: readonly RequestSample[],
): readonly RequestSample[] {
  const injectedAt = instantOf(events, 'injected')?.monoMs;
  return injectedAt === undefined ? [] : samples.filter((s) => s.at.monoMs >= injectedAt);
}

/** The incident as measured so far, for the runbook's post-incident placeholders. */
export function incidentFacts(
  events: readonly Stamped[],
  samples: readonly RequestSample[],
): Record<string, string> {
  const injectedAt = instantOf(events, 'injected');
  const recoveredAt = instantOf(events, 'recovered');
  const incident = incidentSamples(events, samples);
  return {
    SEVERITY: classifySeverity(incident),
    DURATION:
      injectedAt && recoveredAt
        ? `${Math.round((recoveredAt.monoMs - injectedAt.monoMs) / 1000)}s`
        : 'unknown',
    IMPACT: `${Math.round(customerImpactMs(incident, { latencyThresholdMs: IMPACT_LATENCY_MS }) / 1000)}s-customer-impact`,
  };
}

/** Reverts on the timeline, and a restore phase that failed as a whole (its deadline, a stop that threw). */
function restoreOf(events: readonly Stamped[]): RunRecord['restore'] {
  const restore = { ok: true, reverted: [] as string[], errors: [] as string[] };
  for (const e of events) {
    if (e.type === 'reverted' && e.ok) restore.reverted.push(e.what);
    if (e.type === 'reverted' && !e.ok) restore.errors.push(`${e.what}: ${e.error}`);
    if (e.type === 'phase.end' && e.phase === 'restore' && !e.ok) restore.errors.push(e.error ?? 'failed');
  }
  restore.ok = restore.errors.length === 0;
  return restore;
}

/** Every failure the verification rounds saw between injection and recovery. */
function incidentFailures(events: readonly Stamped[]): string[] {
  const injectedAt = instantOf(events, 'injected')?.monoMs;
  if (injectedAt === undefined) return [];
  const recoveredAt = instantOf(events, 'recovered')?.monoMs ?? Number.POSITIVE_INFINITY;
  return events.flatMap((e) =>
    e.type === 'verify.round' && e.at.monoMs >= injectedAt && e.at.monoMs <= recoveredAt ? e.failures : [],
  );
}

const lastRoundFailures = (events: readonly Stamped[]): readonly string[] =>
  events.findLast((e) => e.type === 'verify.round')?.failures ?? [];

/** MTTD/MTTR as measured, plus their projection to production windows on a fast-profile run. */
function metricsOf(events: readonly Stamped[], f: RunFacts) {
  const measured = deriveMetrics(events);
  const detectedBy = events.find((e) => e.type === 'detected')?.alert;
  const windows = detectedBy && f.alertTimings ? alertWindows(detectedBy, f.alertTimings) : undefined;
  // A fast-profile run is judged on what the production windows would have given.
  const projected =
    windows && windows.profile === 'fast'
      ? {
          projectedMttdMs: project(measured.mttdMs, windows),
          projectedMttrMs: project(measured.mttrMs, windows),
        }
      : undefined;
  const judged = {
    ...measured,
    mttdMs: projected ? projected.projectedMttdMs : measured.mttdMs,
    mttrMs: projected ? projected.projectedMttrMs : measured.mttrMs,
  };
  return { metrics: { ...measured, ...projected }, judged, windows };
}

export function recordOf(events: readonly Stamped[], f: RunFacts): RunRecord {
  const { scenario } = f;
  const { metrics, judged, windows } = metricsOf(events, f);
  const outcome = deriveOutcome(events, { aborted: f.abortReason !== undefined });
  const incident = incidentSamples(events, f.samples);
  const observedSeverity = classifySeverity(incident);
  // The runbook's own targets (or --target-* flags) when the plan resolved them, else the scenario's.
  const targets = f.runbook.targets ?? scenario.targets;
  const fired = escalations({
    outcome,
    metrics: judged,
    scenario: { ...scenario, targets: { mttdMs: targets.mttdMs, mttrMs: targets.mttrMs } },
    lastRoundFailures: lastRoundFailures(events),
    steps: f.steps,
    incidentFailures: incidentFailures(events),
    observedSeverity,
    ...(f.dependencyKinds ? { dependencyKinds: f.dependencyKinds } : {}),
  });
  const resolved = outcome === 'resolved-by-runbook' || outcome === 'resolved-with-extra-steps';
  const targetsMet =
    f.mode === 'control'
      ? f.alertsFired.length === 0 && outcome !== 'aborted'
      : resolved &&
        judged.mttdMs !== null &&
        judged.mttdMs < targets.mttdMs &&
        judged.mttrMs !== null &&
        judged.mttrMs < targets.mttrMs;
  const injected = events.some((e) => e.type === 'injected');

  return {
    version: RUN_RECORD_VERSION,
    runId: f.runId,
    scenario: { name: scenario.name, title: scenario.title, severity: scenario.severity },
    control: f.mode === 'control',
    counterfactual: f.mode === 'counterfactual',
    platform: f.platform,
    detectionSource: f.detectionSource,
    ...(f.alertProfile ? { alertProfile: f.alertProfile } : {}),
    ...(windows ? { alertWindows: windows } : {}),
    runbook: {
      file: f.runbook.file,
      section: f.runbook.section,
      ...(f.runbook.sha256 ? { sha256: f.runbook.sha256 } : {}),
    },
    hostMap: { ...f.runbook.hostMap },
    startedAt: isoOf(f.startedAt),
    finishedAt: isoOf(f.finishedAt),
    outcome,
    ...(f.abortReason ? { abortReason: f.abortReason } : {}),
    metrics: {
      ...metrics,
      customerImpactMs: injected
        ? customerImpactMs(incident, { latencyThresholdMs: IMPACT_LATENCY_MS })
        : null,
    },
    targets: f.runbook.targets
      ? { ...f.runbook.targets, source: { ...f.runbook.targets.source } }
      : { ...scenario.targets, source: { mttd: 'scenario', mttr: 'scenario' } },
    targetsMet,
    observedSeverity,
    escalated: fired.length > 0,
    escalationReasons: fired.map((e) => e.reason),
    escalations: fired,
    alertsFired: [...f.alertsFired],
    steps: [...f.steps],
    restore: restoreOf(events),
    timeline: events.map((e) => ({ ...e })),
    ...(f.samples.length ? { load: pickLoad(summarizeLoad(f.samples)) } : {}),
    limitations: [...f.limitations],
  };
}

const pickLoad = ({ requests, errors, p95Ms }: ReturnType<typeof summarizeLoad>) => ({
  requests,
  errors,
  p95Ms,
});

/**
 * Metrics exactly as ARCHITECTURE.md defines them, derived from the timeline:
 *   MTTD = detected - injected; MTTR = recovered - injected; time-to-remediate = recovered - detected.
 */
import { elapsedMs, type Instant } from './clock.ts';
import type { Stamped, TimelineEvent } from './timeline.ts';

/** Every outcome a run can end with, in the order reports list them. */
export const OUTCOMES = [
  'resolved-by-runbook',
  'resolved-with-extra-steps',
  'self-healed',
  'unresolved',
  'not-detected',
  'aborted',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface DrillMetrics {
  readonly mttdMs: number | null;
  readonly mttrMs: number | null;
  readonly timeToRemediateMs: number | null;
  /**
   * paged - injected: the first page of a scenario alert; null when none came. Present only when
   * the drill watched for pages (a `paging` event: existing monitoring with an Alertmanager).
   */
  readonly mttdPageMs?: number | null;
}

const firstAt = (events: readonly Stamped[], type: TimelineEvent['type']): Instant | undefined =>
  events.find((e) => e.type === type)?.at;

export function deriveMetrics(events: readonly Stamped[]): DrillMetrics {
  const injected = firstAt(events, 'injected');
  const detected = firstAt(events, 'detected');
  const recovered = firstAt(events, 'recovered');
  const paged = injected && firstPage(events, injected);
  return {
    mttdMs: injected && detected ? elapsedMs(injected, detected) : null,
    mttrMs: injected && recovered ? elapsedMs(injected, recovered) : null,
    timeToRemediateMs: detected && recovered ? elapsedMs(detected, recovered) : null,
    ...(firstAt(events, 'paging') ? { mttdPageMs: paged ? elapsedMs(injected, paged) : null } : {}),
  };
}

/** The first page of an expected alert at or after the injection. */
const firstPage = (events: readonly Stamped[], injected: Instant): Instant | undefined =>
  events.find((e) => e.type === 'paged' && e.expected && e.at.monoMs >= injected.monoMs)?.at;

/**
 * Exactly one outcome per run. `aborted` wins (no verdict without a valid baseline), then
 * not-detected, then whether and how it recovered. A control run (no fault) that stays
 * quiet ends `not-detected`, which for it is the pass; anything it detected is a false positive.
 */
export function deriveOutcome(events: readonly Stamped[], opts: { aborted: boolean }): Outcome {
  if (opts.aborted) return 'aborted';
  const injected = firstAt(events, 'injected');
  if (!injected) return 'aborted';
  const detected = firstAt(events, 'detected');
  const recovered = firstAt(events, 'recovered');
  const remediationStarted = firstAt(events, 'remediation.started');
  if (!detected) return 'not-detected';
  if (!recovered) return 'unresolved';
  if (!remediationStarted || recovered.monoMs < remediationStarted.monoMs) return 'self-healed';
  const ranExtra = events.some((e) => e.type === 'step.start' && e.extra);
  return ranExtra ? 'resolved-with-extra-steps' : 'resolved-by-runbook';
}

export interface Distribution {
  readonly n: number;
  readonly mean: number | null;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly min: number | null;
  readonly max: number | null;
}

/** Percentile by linear interpolation between closest ranks (the common "type 7" definition). */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (b - a) * (rank - lo);
}

export function distribution(values: readonly (number | null | undefined)[]): Distribution {
  const xs = values
    .filter((v): v is number => typeof v === 'number' && Number.isFinite(v))
    .sort((a, b) => a - b);
  if (xs.length === 0) return { n: 0, mean: null, p50: null, p95: null, min: null, max: null };
  return {
    n: xs.length,
    mean: xs.reduce((s, x) => s + x, 0) / xs.length,
    p50: percentile(xs, 50),
    p95: percentile(xs, 95),
    min: xs[0]!,
    max: xs[xs.length - 1]!,
  };
}

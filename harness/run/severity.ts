/**
 * Impact the drill actually caused, measured on its own traffic, classified with the
 * runbook's severity table: complete outage = critical, partial degradation = high,
 * intermittent failures = medium, minor performance issues = low.
 */
import type { TrafficSample } from './types.ts';

export type ObservedSeverity = 'critical' | 'high' | 'medium' | 'low' | 'none';

/** Response time the runbook's table gives each severity. */
export const RESPONSE_TIME_MS: Record<Exclude<ObservedSeverity, 'none'>, number> = {
  critical: 5 * 60_000,
  high: 15 * 60_000,
  medium: 30 * 60_000,
  low: 60 * 60_000,
};

const BUCKET_MS = 1000;

/** Total time (ms, whole seconds) in which the drill's traffic saw a failure or a slow answer. */
export function customerImpactMs(samples: readonly TrafficSample[], latencyThresholdMs = 2000): number {
  const impacted = new Set<number>();
  for (const s of samples) {
    if (!s.ok || s.latencyMs > latencyThresholdMs) impacted.add(Math.floor(s.atWallMs / BUCKET_MS));
  }
  return impacted.size * BUCKET_MS;
}

export function classifySeverity(
  samples: readonly TrafficSample[],
  latencyThresholdMs = 2000,
): ObservedSeverity {
  if (samples.length === 0) return 'none';
  const buckets = new Map<number, { total: number; failed: number }>();
  let failed = 0;
  let slow = 0;
  for (const s of samples) {
    const key = Math.floor(s.atWallMs / (5 * BUCKET_MS));
    const b = buckets.get(key) ?? { total: 0, failed: 0 };
    b.total++;
    if (!s.ok) {
      b.failed++;
      failed++;
    } else if (s.latencyMs > latencyThresholdMs) slow++;
    buckets.set(key, b);
  }
  // a 5-second window in which (nearly) nothing got through is a complete outage
  if ([...buckets.values()].some((b) => b.total >= 3 && b.failed / b.total >= 0.95)) return 'critical';
  if (failed / samples.length >= 0.05) return 'high';
  if (failed > 0) return 'medium';
  if (slow > 0) return 'low';
  return 'none';
}

/**
 * Impact the drill actually caused, measured on its own traffic, classified with the
 * runbook's severity table: complete outage = critical, partial degradation = high,
 * intermittent failures = medium, minor performance issues = low.
 */
import { isImpacted } from '../verify/impact.ts';
import type { RequestSample } from '../verify/load.ts';

export type ObservedSeverity = 'critical' | 'high' | 'medium' | 'low' | 'none';

/** Response time the runbook's table gives each severity. */
export const RESPONSE_TIME_MS: Record<Exclude<ObservedSeverity, 'none'>, number> = {
  critical: 5 * 60_000,
  high: 15 * 60_000,
  medium: 30 * 60_000,
  low: 60 * 60_000,
};

const WINDOW_MS = 5000;
const failedRequest = (s: RequestSample) => isImpacted(s, { latencyThresholdMs: Number.POSITIVE_INFINITY });

export function classifySeverity(
  samples: readonly RequestSample[],
  latencyThresholdMs = 2000,
): ObservedSeverity {
  if (samples.length === 0) return 'none';
  const windows = new Map<number, { total: number; failed: number }>();
  let failed = 0;
  let slow = 0;
  for (const s of samples) {
    const key = Math.floor(s.at.monoMs / WINDOW_MS);
    const w = windows.get(key) ?? { total: 0, failed: 0 };
    w.total++;
    if (failedRequest(s)) {
      w.failed++;
      failed++;
    } else if (s.latencyMs > latencyThresholdMs) slow++;
    windows.set(key, w);
  }
  // a 5-second window in which (nearly) nothing got through is a complete outage
  if ([...windows.values()].some((w) => w.total >= 3 && w.failed / w.total >= 0.95)) return 'critical';
  if (failed / samples.length >= 0.05) return 'high';
  if (failed > 0) return 'medium';
  if (slow > 0) return 'low';
  return 'none';
}

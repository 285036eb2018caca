/**
 * Impact the drill actually caused, measured on its own traffic, classified with the
 * runbook's severity table: complete outage = critical, partial degradation = high,
 * intermittent failures = medium, minor performance issues = low. The table's response times
 * live with the reports (report/verdict.ts), which compare detection against them.
 */
import { isImpacted } from '../verify/impact.ts';
import type { RequestSample } from '../verify/load.ts';

export type ObservedSeverity = 'critical' | 'high' | 'medium' | 'low' | 'none';

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

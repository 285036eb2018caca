/**
 * What a drill on the fast alert profile would have measured with the production windows.
 * A fast drill fires an alert after a 2-5 s `for` on 1 s scrapes; the runbook's 5-minute MTTD
 * target is about the production rules (1-5 min `for`, 15 s scrapes and evaluations). Judging a
 * fast number against that target would flatter the monitoring, so the fast number is shown as
 * measured and the verdict uses the projection:
 *
 *   floor(profile, alert) = for + scrape interval + evaluation interval   (worst case the rule adds)
 *   projected MTTD = measured MTTD - floor(fast) + floor(production)
 *   projected MTTR = measured MTTR - floor(fast) + floor(production)      (remediation starts at detection)
 *
 * A projection never goes below the measured value.
 */
import type { AlertTiming, ProfileTiming } from './alert-source.ts';
import type { AlertName, DetectionProfile } from './types.ts';

export interface AlertWindows {
  /** The alert that detected the fault (MTTD's end point). */
  readonly alert: string;
  readonly profile: DetectionProfile;
  /** Its `for` and its floor (for + scrape + evaluation) in the profile that ran. */
  readonly forMs: number;
  readonly floorMs: number;
  /** The same in the production profile. */
  readonly productionForMs: number;
  readonly productionFloorMs: number;
}

export interface ProfileTimings {
  readonly ran: ProfileTiming;
  readonly production: ProfileTiming;
}

const floorOf = (t: ProfileTiming, a: AlertTiming) => a.forMs + t.scrapeIntervalMs + t.evaluationIntervalMs;

/** The windows of `alert` in both profiles; undefined for an alert the rules do not know. */
export function alertWindows(alert: string, timings: ProfileTimings): AlertWindows | undefined {
  const ran = timings.ran.alerts[alert as AlertName];
  const prod = timings.production.alerts[alert as AlertName];
  if (!ran || !prod) return undefined;
  return {
    alert,
    profile: timings.ran.profile,
    forMs: ran.forMs,
    floorMs: floorOf(timings.ran, ran),
    productionForMs: prod.forMs,
    productionFloorMs: floorOf(timings.production, prod),
  };
}

/**
 * A measured duration moved from the profile that ran to the production windows; null stays
 * null, and a production run is its own projection.
 *
 * @example
 * project(3_300, { profile: 'fast', floorMs: 4_000, productionFloorMs: 90_000, ... }) // -> 89_300
 */
export function project(measuredMs: number | null, w: AlertWindows): number | null {
  if (measuredMs === null) return null;
  if (w.profile === 'production') return measuredMs;
  return Math.max(measuredMs, measuredMs - w.floorMs + w.productionFloorMs);
}

/**
 * How long a control run must watch a quiet system so that any rule of the profile could have
 * fired: the longest floor (for + scrape + evaluation) among its alerts, and never under `minMs`.
 */
export function controlWindow(timing: ProfileTiming, minMs = 30_000): { ms: number; longest: string } {
  let longest = { alert: '', floorMs: 0 };
  for (const [alert, a] of Object.entries(timing.alerts)) {
    const floorMs = floorOf(timing, a);
    if (floorMs > longest.floorMs) longest = { alert, floorMs };
  }
  return { ms: Math.max(minMs, longest.floorMs), longest: `${longest.alert} (${longest.floorMs / 1000} s)` };
}

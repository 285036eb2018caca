/**
 * Durations as runbooks write them: "0-2 minutes", "<15 minutes", "Immediate (<5 min)",
 * "after 15 minutes", "<1 hour". Everything becomes milliseconds.
 */
import type { TimeBox } from './model.ts';

const UNIT = String.raw`(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h)\b`;

function unitMs(unit: string): number {
  const u = unit.toLowerCase();
  if (u.startsWith('h')) return 3_600_000;
  if (u.startsWith('m')) return 60_000;
  return 1000;
}

/** "0-2 minutes", "2 – 5 min", "10 to 15 minutes" -> { fromMs, toMs }. */
export function parseTimeBox(text: string): TimeBox | undefined {
  const m = new RegExp(String.raw`(\d+(?:\.\d+)?)\s*(?:-|–|—|to)\s*(\d+(?:\.\d+)?)\s*${UNIT}`, 'i').exec(
    text,
  );
  if (!m) return undefined;
  const unit = unitMs(m[3]!);
  const fromMs = Number(m[1]) * unit;
  const toMs = Number(m[2]) * unit;
  return toMs > fromMs ? { fromMs, toMs } : undefined;
}

/** The first "N unit" in the text, e.g. "Outage duration > 30 minutes" -> 1800000. */
export function parseDurationMs(text: string): number | undefined {
  const m = new RegExp(String.raw`(\d+(?:\.\d+)?)\s*${UNIT}`, 'i').exec(text);
  return m ? Number(m[1]) * unitMs(m[2]!) : undefined;
}

/** Response-time cells: "Immediate (<5 min)", "<15 minutes", "<1 hour". Upper bound in ms. */
export const parseResponseTimeMs = (text: string): number | undefined => parseDurationMs(text);

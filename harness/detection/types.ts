/**
 * Detection sources: where "the monitoring noticed" comes from. A real Prometheus evaluating
 * the fixture's alert rules, or built-in probes evaluating the same rules over probe results.
 * Both report alerts with Prometheus semantics: `pending` while the `for` window runs, then `firing`.
 */

export interface AlertObservation {
  readonly alert: string;
  readonly state: 'pending' | 'firing';
  /** When the alert condition first became true (Prometheus `activeAt`), epoch ms. */
  readonly activeAtWallMs?: number;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface DetectionSource {
  /** 'prometheus' or 'probes'; written to the run record. */
  readonly name: string;
  /** Begin scraping/probing. Resolves once the source is evaluating. */
  start(): Promise<void>;
  /** Alerts currently pending or firing. */
  poll(): Promise<readonly AlertObservation[]>;
  stop(): Promise<void>;
}

/** Alert-rule timing profile: `production` uses the runbook's windows, `fast` is scaled for drills. */
export type DetectionProfile = 'production' | 'fast';

/**
 * The alert names the fixture's rules define and scenarios wait for. Kept in one place so a
 * scenario cannot wait for an alert that no rule produces.
 */
export const ALERTS = {
  healthCheckFailure: 'APIHealthCheckFailure',
  errorRateHigh: 'APIErrorRateHigh',
  responseTimeDegraded: 'APIResponseTimeDegraded',
  crashLoop: 'OrchestratorCrashLooping',
  databaseDown: 'DatabaseUnreachable',
  redisDown: 'RedisUnreachable',
  llmRateLimited: 'LLMRateLimited',
} as const;
export type AlertName = (typeof ALERTS)[keyof typeof ALERTS];

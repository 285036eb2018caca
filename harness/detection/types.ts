/**
 * Detection sources: where "the monitoring noticed" comes from. A real Prometheus evaluating
 * the fixture's alert rules, or built-in probes evaluating the same rules over probe results.
 * Both report alerts with Prometheus semantics: `pending` while the `for` window runs, then `firing`.
 */
import type { Instant } from '../core/clock.ts';

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
  /**
   * What the alerting chain did with the alerts since start(), oldest first: an alert that
   * reached Alertmanager, a notification (the page) its receiver got. Only existing monitoring
   * with an Alertmanager has this chain.
   */
  notifications?(): readonly Notification[];
}

/** One step of an alert on its way to a human, seen by the harness at `at`. */
export interface Notification {
  /** `routed`: Alertmanager holds the alert; `paged`: the webhook receiver got its notification. */
  readonly kind: 'routed' | 'paged';
  readonly alert: string;
  readonly at: Instant;
  /** Alertmanager's receiver name, for `paged`. */
  readonly receiver?: string;
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

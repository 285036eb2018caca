/**
 * Detection by the monitoring the user already runs (`--prometheus-url`, `--alertmanager-url`):
 * alert state from their Prometheus and their rules, and, with an Alertmanager, the rest of the
 * chain: the alert reaching Alertmanager (`routed`) and the notification reaching the harness's
 * webhook receiver (`paged`). The harness starts no Prometheus and loads no rules of its own.
 */
import { type Clock, systemClock } from '../core/clock.ts';
import { errorMessage, UserError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { fetchActiveAlertNames, type PageReceiver, startPageReceiver } from './alertmanager.ts';
import { onLoopback } from './monitoring-url.ts';
import { fetchAlertRuleNames, notReadyReason, prometheusSource } from './prometheus-api.ts';
import type { DetectionSource, Notification } from './types.ts';

export interface ExistingMonitoring {
  /** Base URL of the user's Prometheus (checked by parseMonitoringUrl). */
  readonly prometheusUrl: string;
  readonly alertmanagerUrl?: string;
  /** The webhook receiver the user's Alertmanager pages; runs for the whole invocation. */
  readonly receiver?: PageReceiver;
}

/** One line for the run record: what detected, and how a page would have reached the harness. */
export function describeMonitoring(m: ExistingMonitoring): string {
  const chain = m.alertmanagerUrl
    ? `; pages through the Alertmanager at ${m.alertmanagerUrl} to the receiver at ${m.receiver?.url ?? '(none)'}` +
      (onLoopback(m.alertmanagerUrl) ? '' : ` (${OFF_LOOPBACK})`)
    : '';
  return `detection by the existing Prometheus at ${m.prometheusUrl} with its own rules (not firedrill's)${chain}`;
}

/** Said wherever an Alertmanager off loopback is used: why MTTD to the page may stay empty. */
export const OFF_LOOPBACK =
  'that Alertmanager is not on loopback: it can show the alert as routed, but its page cannot reach a receiver on 127.0.0.1';

/** Both servers answer `/-/ready`; throws a UserError (one line) otherwise. Reads only. */
export async function checkExistingMonitoring(m: ExistingMonitoring): Promise<void> {
  const servers: [flag: string, what: string, url: string][] = [
    ['--prometheus-url', 'Prometheus', m.prometheusUrl],
  ];
  if (m.alertmanagerUrl) servers.push(['--alertmanager-url', 'Alertmanager', m.alertmanagerUrl]);
  for (const [flag, what, url] of servers) {
    const why = await notReadyReason(url);
    if (why) throw new UserError(`${flag}: ${what} at ${url} is not ready (${why})`);
  }
}

/**
 * Check both servers, then (with an Alertmanager) start the page receiver for the invocation:
 * every drill of it shares one receiver URL, so the user's Alertmanager route is set up once.
 */
export async function openExistingMonitoring(opts: {
  prometheusUrl: string;
  alertmanagerUrl?: string;
  pageReceiverPort?: number;
  clock?: Clock;
}): Promise<ExistingMonitoring & { close(): Promise<void> }> {
  const { prometheusUrl, alertmanagerUrl } = opts;
  await checkExistingMonitoring({ prometheusUrl, ...(alertmanagerUrl ? { alertmanagerUrl } : {}) });
  if (!alertmanagerUrl) return { prometheusUrl, close: async () => {} };
  const receiver = await startPageReceiver({
    ...(opts.pageReceiverPort !== undefined ? { port: opts.pageReceiverPort } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  return { prometheusUrl, alertmanagerUrl, receiver, close: () => receiver.close() };
}

/**
 * The detection source over existing monitoring. `expected` are the scenario's alerts: when the
 * user's Prometheus defines none of them, the drill can only end not-detected, and says so.
 */
export function existingMonitoringSource(
  m: ExistingMonitoring,
  opts: { clock?: Clock; log: Logger; expected?: readonly string[]; readyTimeoutMs?: number },
): DetectionSource {
  const clock = opts.clock ?? systemClock;
  const prometheus = prometheusSource({
    url: m.prometheusUrl,
    clock,
    ...(opts.readyTimeoutMs ? { readyTimeoutMs: opts.readyTimeoutMs } : {}),
  });
  const routed: Notification[] = [];
  const inAlertmanager = new Set<string>();
  let pagesBefore = 0;
  let lastError = '';

  /** Alerts new in Alertmanager since the last poll become `routed`; one that leaves may route again. */
  const pollAlertmanager = async (url: string) => {
    try {
      const names = new Set(await fetchActiveAlertNames(url));
      const at = clock.now();
      for (const alert of names) if (!inAlertmanager.has(alert)) routed.push({ kind: 'routed', alert, at });
      inAlertmanager.clear();
      for (const alert of names) inAlertmanager.add(alert);
    } catch (err) {
      // the page is the stronger proof; a flaky Alertmanager API must not stop alert polling
      if (errorMessage(err) !== lastError) opts.log.warn(errorMessage(err));
      lastError = errorMessage(err);
    }
  };

  return {
    name: `prometheus at ${m.prometheusUrl}`,
    async start() {
      await prometheus.start();
      const defined = await fetchAlertRuleNames(m.prometheusUrl);
      const expected = opts.expected ?? [];
      if (expected.length && !expected.some((a) => defined.includes(a)))
        opts.log.warn(
          `Prometheus at ${m.prometheusUrl} has no alerting rule named ${expected.join(' or ')}: this drill can only end not-detected`,
        );
      pagesBefore = m.receiver?.pages().length ?? 0; // pages of an earlier drill are not this one's
    },
    async poll() {
      const alerts = await prometheus.poll();
      if (m.alertmanagerUrl) await pollAlertmanager(m.alertmanagerUrl);
      return alerts;
    },
    stop: () => prometheus.stop(),
    ...(m.alertmanagerUrl
      ? { notifications: () => [...routed, ...(m.receiver?.pages().slice(pagesBefore) ?? [])] }
      : {}),
  };
}

/**
 * Detection source `probes`: needs nothing installed. The harness gathers the evidence itself
 * (HTTP probes of /health and the dependency endpoints, the council's 429 counter, restart
 * counts from the platform, and the drill's own traffic fed in by the load generator) and
 * evaluates the same rules, with the same windows and `for`, as the Prometheus profile.
 */
import { type Clock, systemClock } from '../core/clock.ts';
import { errorMessage } from '../core/errors.ts';
import { type Logger, silentLogger } from '../core/log.ts';
import type { RequestSample } from '../verify/load.ts';
import { loadProfileTiming, type ProfileTiming } from './alert-source.ts';
import { AlertStates } from './alert-state.ts';
import { type CounterReading, evaluateProbeRules, type ProbeResult, stalenessMs } from './probe-rules.ts';
import type { AlertObservation, DetectionProfile, DetectionSource } from './types.ts';

export interface ProbeOptions {
  readonly profile: DetectionProfile;
  /** Overrides the timing read from fixtures/monitoring/alerts.yaml for `profile`. */
  readonly timing?: ProfileTiming;
  /** The entry service (the config's entry.service) as seen from the harness, e.g. http://127.0.0.1:31080. */
  readonly entryUrl: string;
  /** The entry workload's restart count, e.g. `() => stack.status('web')`. */
  readonly statusOf?: () => Promise<{ readonly restarts: number }>;
  /** A workload's metrics endpoint, for the counters the probe rules read (council_upstream_429_total). */
  readonly metricsUrl?: string;
  /** Probe + evaluation interval; defaults to the profile's scrape interval. */
  readonly intervalMs?: number;
  /** Per-probe timeout; defaults to the interval (like a scrape timeout), at most 5 s. */
  readonly probeTimeoutMs?: number;
  /** Upper bound of the background loop. */
  readonly maxDurationMs?: number;
  readonly clock?: Clock;
  readonly log?: Logger;
}

export interface ProbeDetection extends DetectionSource {
  /** Feed one outcome of the drill's own traffic (wire to startLoad's onSample). */
  record(sample: RequestSample): void;
  /** One probe round plus rule evaluation; start() runs it on an interval. */
  tick(): Promise<void>;
}

const MAX_TRAFFIC_SAMPLES = 200_000;

/** HTTP status of a GET, or 0 when nothing answered in time. */
async function probe(url: string, timeoutMs: number): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer().catch(() => undefined);
    return res.status;
  } catch {
    return 0;
  }
}

/** Sum of every series of `metric` in a Prometheus text exposition, or undefined if absent. */
export function counterValue(exposition: string, metric: string): number | undefined {
  const line = new RegExp(`^${metric}(?:\\{.*\\})?\\s+(\\S+)`);
  let total: number | undefined;
  for (const raw of exposition.split('\n')) {
    const v = Number(line.exec(raw)?.[1]);
    if (Number.isFinite(v)) total = (total ?? 0) + v;
  }
  return total;
}

export function probeDetection(opts: ProbeOptions): ProbeDetection {
  const timing = opts.timing ?? loadProfileTiming(opts.profile);
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? silentLogger;
  const intervalMs = opts.intervalMs ?? timing.scrapeIntervalMs;
  const probeTimeoutMs = opts.probeTimeoutMs ?? Math.min(intervalMs, 5_000);
  const base = opts.entryUrl.replace(/\/+$/, '');
  const keepMs =
    Math.max(...Object.values(timing.alerts).map((a) => a.windowMs ?? 0), stalenessMs(timing)) + intervalMs;
  const states = new AlertStates(
    Object.fromEntries(Object.entries(timing.alerts).map(([k, v]) => [k, v.forMs])),
  );
  const data = {
    health: [] as ProbeResult[],
    database: [] as ProbeResult[],
    redis: [] as ProbeResult[],
    traffic: [] as RequestSample[],
    restarts: [] as CounterReading[],
    upstream429: [] as CounterReading[],
  };
  let loop: Promise<void> | undefined;
  const abort = new AbortController();

  const prune = () => {
    const cutoff = clock.now().monoMs - keepMs;
    for (const list of Object.values(data) as { at: { monoMs: number } }[][]) {
      const firstKept = list.findIndex((x) => x.at.monoMs >= cutoff);
      list.splice(0, firstKept === -1 ? list.length : firstKept);
    }
  };

  const gather = async () => {
    const stamp = (status: number): ProbeResult => ({ at: clock.now(), status });
    await Promise.all([
      probe(`${base}/health`, probeTimeoutMs).then((s) => data.health.push(stamp(s))),
      probe(`${base}/health/database`, probeTimeoutMs).then((s) => data.database.push(stamp(s))),
      probe(`${base}/health/redis`, probeTimeoutMs).then((s) => data.redis.push(stamp(s))),
      // A platform call that hangs must not stall the evaluation loop: bounded like a probe.
      opts.statusOf &&
        Promise.race([
          opts.statusOf(),
          new Promise<never>((_, reject) =>
            setTimeout(() => reject(new Error(`no answer in ${probeTimeoutMs} ms`)), probeTimeoutMs).unref(),
          ),
        ]).then(
          (st) => data.restarts.push({ at: clock.now(), value: st.restarts }),
          (err: unknown) => log.debug('probe: platform status failed', { error: errorMessage(err) }),
        ),
      opts.metricsUrl &&
        fetch(opts.metricsUrl, { signal: AbortSignal.timeout(probeTimeoutMs) })
          .then((res) => res.text())
          .then((text) => {
            const v = counterValue(text, 'council_upstream_429_total');
            if (v !== undefined) data.upstream429.push({ at: clock.now(), value: v });
          })
          .catch(() => {}), // no answer, no reading: like a failed scrape
    ]);
  };

  const tick = async () => {
    await gather();
    const now = clock.now();
    for (const [alert, active] of Object.entries(evaluateProbeRules(data, timing, now))) {
      states.update(alert, active, now);
    }
    prune();
  };

  return {
    name: 'probes',
    record(sample) {
      if (data.traffic.length < MAX_TRAFFIC_SAMPLES) data.traffic.push(sample);
    },
    tick,
    async start() {
      if (loop) return;
      await tick();
      const started = clock.now().monoMs;
      const maxMs = opts.maxDurationMs ?? 6 * 3_600_000;
      loop = (async () => {
        while (!abort.signal.aborted && clock.now().monoMs - started < maxMs) {
          await clock.sleep(intervalMs, abort.signal);
          if (abort.signal.aborted) break;
          await tick().catch((err: unknown) => log.warn('probe round failed', { error: errorMessage(err) }));
        }
      })();
      log.info('probe detection evaluating', { profile: timing.profile, intervalMs, entry: base });
    },
    async poll(): Promise<readonly AlertObservation[]> {
      return states.observations();
    },
    async stop() {
      abort.abort();
      await loop;
    },
  };
}

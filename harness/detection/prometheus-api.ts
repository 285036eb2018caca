/**
 * The parts of the Prometheus HTTP API a drill reads: readiness, alert state, rule evaluation,
 * target health and instant queries. Shared by the Prometheus the harness starts and one that
 * runs elsewhere (in-cluster, reached through a port-forward or NodePort).
 */
import { type Clock, systemClock } from '../core/clock.ts';
import { errorMessage } from '../core/errors.ts';
import type { AlertObservation, DetectionSource } from './types.ts';

const REQUEST_TIMEOUT_MS = 5_000;

/** `path` under `baseUrl`, keeping the base's own path (a server behind a route prefix, /prometheus). */
export const apiUrl = (baseUrl: string, path: string): string =>
  new URL(path.replace(/^\//, ''), baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`).toString();

/**
 * GET `path` under `baseUrl` and parse its JSON body (undefined when it is none). `server` names
 * the server in the error when it does not answer: Prometheus, or the Alertmanager behind it.
 */
export async function fetchJson(
  baseUrl: string,
  path: string,
  server = 'Prometheus',
): Promise<{ res: Response; body: unknown }> {
  let res: Response;
  try {
    res = await fetch(apiUrl(baseUrl, path), { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (err) {
    throw new Error(
      `${server} at ${baseUrl} did not answer ${path}: ${errorMessage((err as Error).cause ?? err)}`,
    );
  }
  return { res, body: await res.json().catch(() => undefined) };
}

async function getJson<T>(baseUrl: string, path: string): Promise<T> {
  const { res, body: raw } = await fetchJson(baseUrl, path);
  const body = raw as { status?: string; data?: T; error?: string } | undefined;
  if (!res.ok || body?.status !== 'success' || body.data === undefined) {
    throw new Error(`Prometheus ${path} answered ${res.status}: ${body?.error ?? 'no data'}`);
  }
  return body.data;
}

/**
 * Why the server at `baseUrl` is not ready, or undefined when it is: one look at `/-/ready`,
 * which Prometheus and Alertmanager both serve.
 */
export async function notReadyReason(baseUrl: string): Promise<string | undefined> {
  try {
    const res = await fetch(apiUrl(baseUrl, '/-/ready'), { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    return res.ok ? undefined : `/-/ready answered ${res.status}`;
  } catch (err) {
    return `/-/ready: ${errorMessage((err as Error).cause ?? err)}`;
  }
}

interface ApiAlert {
  labels: Record<string, string>;
  state: string;
  activeAt?: string;
}

/** Alerts currently pending or firing, in the DetectionSource shape. */
export async function fetchAlerts(baseUrl: string): Promise<AlertObservation[]> {
  const data = await getJson<{ alerts: ApiAlert[] }>(baseUrl, '/api/v1/alerts');
  const out: AlertObservation[] = [];
  for (const a of data.alerts) {
    if (a.state !== 'pending' && a.state !== 'firing') continue;
    const { alertname, ...labels } = a.labels;
    const activeAtWallMs = a.activeAt ? Date.parse(a.activeAt) : Number.NaN;
    out.push({
      alert: alertname ?? '(unnamed)',
      state: a.state,
      ...(Number.isFinite(activeAtWallMs) ? { activeAtWallMs } : {}),
      labels,
    });
  }
  return out;
}

export interface TargetHealth {
  readonly job: string;
  readonly instance: string;
  readonly health: 'up' | 'down' | 'unknown';
  readonly lastError: string;
  /** Epoch ms of the last scrape; NaN before the first. */
  readonly lastScrapeWallMs: number;
}

export async function fetchTargets(baseUrl: string): Promise<TargetHealth[]> {
  const data = await getJson<{
    activeTargets: {
      labels: Record<string, string>;
      health: TargetHealth['health'];
      lastError: string;
      lastScrape: string;
    }[];
  }>(baseUrl, '/api/v1/targets?state=active');
  return data.activeTargets.map((t) => ({
    job: t.labels.job ?? '',
    instance: t.labels.instance ?? '',
    health: t.health,
    lastError: t.lastError,
    lastScrapeWallMs: wallMsOf(t.lastScrape),
  }));
}

/** Prometheus writes "0001-01-01T00:00:00Z" for "never". */
const wallMsOf = (iso: string | undefined): number =>
  iso && !iso.startsWith('0001-') ? Date.parse(iso) : Number.NaN;

/** Number of rule groups, and the oldest last evaluation among them (NaN if one never ran). */
export async function fetchRuleProgress(
  baseUrl: string,
): Promise<{ groups: number; oldestEvaluationWallMs: number }> {
  const data = await getJson<{ groups: { lastEvaluation?: string }[] }>(baseUrl, '/api/v1/rules');
  const times = data.groups.map((g) => wallMsOf(g.lastEvaluation));
  return {
    groups: data.groups.length,
    oldestEvaluationWallMs: times.length ? Math.min(...times) : Number.NaN,
  };
}

/** Names of the alerting rules Prometheus has loaded. */
export async function fetchAlertRuleNames(baseUrl: string): Promise<string[]> {
  const data = await getJson<{ groups: { rules: { type: string; name: string }[] }[] }>(
    baseUrl,
    '/api/v1/rules?type=alert',
  );
  return data.groups.flatMap((g) => g.rules.filter((r) => r.type === 'alerting').map((r) => r.name));
}

/** A scrape's sample is stored a little after its timestamp; evaluations must come after that. */
const SCRAPE_APPEND_MARGIN_MS = 250;

/**
 * Whether alert state reflects scraped data: every expected target scraped at least once and
 * every rule group evaluated after those scrapes were stored. Before that, "no orchestrator
 * instance up" is true only because nothing was scraped yet: a start-up false positive.
 * `seen` carries, across calls, when all targets had first been scraped.
 */
async function evaluatedScrapedData(
  baseUrl: string,
  expectedTargets: number,
  seen: { allScrapedWallMs?: number },
): Promise<string | undefined> {
  const progress = await fetchRuleProgress(baseUrl);
  if (progress.groups === 0) return 'no rule groups loaded';
  if (Number.isNaN(progress.oldestEvaluationWallMs)) return 'rules not evaluated yet';
  if (expectedTargets === 0) return undefined;
  if (seen.allScrapedWallMs === undefined) {
    const scraped = (await fetchTargets(baseUrl)).filter((t) => Number.isFinite(t.lastScrapeWallMs));
    if (scraped.length < expectedTargets) return `${scraped.length}/${expectedTargets} targets scraped`;
    seen.allScrapedWallMs = Math.max(...scraped.map((t) => t.lastScrapeWallMs));
  }
  if (progress.oldestEvaluationWallMs <= seen.allScrapedWallMs + SCRAPE_APPEND_MARGIN_MS) {
    return 'rules not yet evaluated over scraped data';
  }
  return undefined;
}

export interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** An instant query; e.g. p95 and error rate for performance validation. */
export async function query(baseUrl: string, promql: string): Promise<Sample[]> {
  const data = await getJson<{
    resultType: string;
    result: { metric: Record<string, string>; value: [number, string] }[];
  }>(baseUrl, `/api/v1/query?query=${encodeURIComponent(promql)}`);
  if (data.resultType !== 'vector')
    throw new Error(`query ${promql}: expected a vector, got ${data.resultType}`);
  return data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
}

interface WaitOptions {
  readonly timeoutMs: number;
  readonly clock?: Clock;
  readonly isDead?: () => string | undefined;
}

/** Poll `/-/ready`, then `check` (undefined = done, else what it still waits for), within the timeout. */
async function pollReady(
  baseUrl: string,
  opts: WaitOptions,
  what: string,
  check: () => Promise<string | undefined>,
): Promise<void> {
  const clock = opts.clock ?? systemClock;
  const start = clock.now().monoMs;
  let last = 'not ready';
  for (let attempt = 0; clock.now().monoMs - start < opts.timeoutMs && attempt < 10_000; attempt++) {
    const dead = opts.isDead?.();
    if (dead) throw new Error(dead);
    try {
      const ready = await fetch(apiUrl(baseUrl, '/-/ready'), { signal: AbortSignal.timeout(1_000) });
      if (ready.ok) {
        const waiting = await check();
        if (waiting === undefined) return;
        last = waiting;
      } else last = `/-/ready answered ${ready.status}`;
    } catch (err) {
      last = errorMessage((err as Error).cause ?? err);
    }
    await clock.sleep(100);
  }
  throw new Error(`Prometheus at ${baseUrl} not ${what} after ${opts.timeoutMs} ms (${last})`);
}

/** Wait until Prometheus answers `/-/ready`: it serves its API; targets and rules may still be loading. */
export function waitUntilReady(baseUrl: string, opts: WaitOptions): Promise<void> {
  return pollReady(baseUrl, opts, 'ready', async () => undefined);
}

/**
 * Wait until Prometheus serves queries and its alert state reflects scraped data (see
 * evaluatedScrapedData). Target discovery alone takes up to 5 s: Prometheus batches discovery
 * updates on a fixed 5 s tick. Bounded by `timeoutMs`.
 */
export function waitUntilEvaluating(
  baseUrl: string,
  opts: WaitOptions & { expectedTargets?: number },
): Promise<void> {
  const seen: { allScrapedWallMs?: number } = {};
  return pollReady(baseUrl, opts, 'evaluating rules', () =>
    evaluatedScrapedData(baseUrl, opts.expectedTargets ?? 0, seen),
  );
}

/**
 * A Prometheus the harness did not start, e.g. the in-cluster one on `kube` reached at a
 * port-forwarded URL. It must already load the fixture's rules; start() checks that it does.
 */
export function prometheusSource(opts: {
  url: string;
  readyTimeoutMs?: number;
  clock?: Clock;
}): DetectionSource & {
  readonly url: string;
} {
  return {
    name: 'prometheus',
    url: opts.url,
    start: () =>
      waitUntilEvaluating(opts.url, {
        timeoutMs: opts.readyTimeoutMs ?? 30_000,
        ...(opts.clock ? { clock: opts.clock } : {}),
      }),
    poll: () => fetchAlerts(opts.url),
    stop: async () => {},
  };
}

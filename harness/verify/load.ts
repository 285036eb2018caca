/**
 * Background load during a drill, so error rate and p95 mean something: autocannon as a library,
 * bounded in rate (overallRate), time (durationMs) and count (maxRequests), sending the
 * runbook's traffic mix (GET /v1/status, GET /health, POST /v1/tasks with a Bearer token).
 * Every request's outcome is handed to `onSample`, for the probe detection and for customer
 * impact (see impact.ts).
 */
import autocannon from 'autocannon';
import { type Clock, type Instant, systemClock } from '../core/clock.ts';
import { UserError } from '../core/errors.ts';
import { type Logger, silentLogger } from '../core/log.ts';
import { percentile } from '../core/metrics.ts';

/** The outcome of one request the drill's own traffic made. */
export interface RequestSample {
  readonly route: string;
  readonly method: string;
  /** HTTP status; 0 = no answer (connection refused/reset, or timed out). */
  readonly status: number;
  readonly latencyMs: number;
  /** When the request completed or failed; it started `latencyMs` earlier. */
  readonly at: Instant;
  readonly error?: string;
}

export interface TrafficMix {
  readonly status: number;
  readonly health: number;
  readonly tasks: number;
}

export interface LoadOptions {
  /** The orchestrator as seen from the harness, e.g. http://127.0.0.1:31080. */
  readonly baseUrl: string;
  /** Bearer token for POST /v1/tasks. */
  readonly token: string;
  readonly ratePerSecond: number;
  readonly durationMs: number;
  readonly maxRequests: number;
  readonly connections?: number;
  /** Per-request timeout; autocannon's granularity is 1 s and its minimum 1 s. */
  readonly timeoutMs?: number;
  /** Relative weights of the three requests; default 3:1:1. */
  readonly mix?: TrafficMix;
  /** Hosts other than loopback that this run created (e.g. a network namespace's address). */
  readonly allowedHosts?: readonly string[];
  readonly onSample?: (sample: RequestSample) => void;
  readonly clock?: Clock;
  readonly log?: Logger;
}

export interface LoadSummary {
  readonly requests: number;
  /** Requests that got no answer or a 5xx. */
  readonly errors: number;
  /** p95 latency of answered requests. */
  readonly p95Ms: number | null;
  readonly byStatus: Readonly<Record<string, number>>;
}

export interface RunningLoad {
  /** Every sample so far, in completion order. */
  samples(): readonly RequestSample[];
  /** Stop early (idempotent); resolves when autocannon has closed its connections. */
  stop(): Promise<LoadSummary>;
  /** Resolves when the load ends by itself (time or count bound) or after stop(). */
  readonly done: Promise<LoadSummary>;
}

const isLoopback = (host: string) =>
  host === 'localhost' || host === '[::1]' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);

/** Load may only target loopback or hosts this run created (network rule); throws otherwise. */
export function assertLoadTarget(baseUrl: string, allowedHosts: readonly string[] = []): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new UserError(`load target "${baseUrl}" is not a URL`);
  }
  if (!isLoopback(url.hostname) && !allowedHosts.includes(url.hostname)) {
    throw new UserError(
      `load target ${url.host} is not loopback nor a host this run created; refusing to send load`,
    );
  }
  return url;
}

export function summarizeLoad(samples: readonly RequestSample[]): LoadSummary {
  const byStatus: Record<string, number> = {};
  for (const s of samples) byStatus[String(s.status)] = (byStatus[String(s.status)] ?? 0) + 1;
  const answered = samples
    .filter((s) => s.status > 0)
    .map((s) => s.latencyMs)
    .sort((a, b) => a - b);
  return {
    requests: samples.length,
    errors: samples.filter((s) => s.status === 0 || s.status >= 500).length,
    p95Ms: percentile(answered, 95),
    byStatus,
  };
}

function requestsFor(opts: LoadOptions) {
  const mix = opts.mix ?? { status: 3, health: 1, tasks: 1 };
  const status = { method: 'GET' as const, path: '/v1/status' };
  const health = { method: 'GET' as const, path: '/health' };
  const task = {
    method: 'POST' as const,
    path: '/v1/tasks',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${opts.token}` },
    body: JSON.stringify({ description: 'firedrill background load' }),
  };
  // Interleave by weight so every connection's cycle carries the whole mix.
  const seq: (typeof status | typeof task)[] = [];
  const left = { status: mix.status, health: mix.health, tasks: mix.tasks };
  while (left.status + left.health + left.tasks > 0) {
    if (left.status-- > 0) seq.push(status);
    if (left.health-- > 0) seq.push(health);
    if (left.tasks-- > 0) seq.push(task);
  }
  if (seq.length === 0) throw new UserError('load mix: at least one weight must be positive');
  return seq;
}

/** Internals of autocannon's per-connection client that we observe and throttle. */
interface CannonClient {
  destroyed?: boolean;
  requestIterator: { currentRequest: { method?: string; path?: string } };
  pipelinedRequests: { peek(): { startTime: [number, number] } | undefined; clear(): void };
  _connect: () => void;
  on(event: string, listener: (...args: never[]) => void): void;
}

export function startLoad(opts: LoadOptions): RunningLoad {
  const url = assertLoadTarget(opts.baseUrl, opts.allowedHosts);
  for (const [name, v] of Object.entries({
    ratePerSecond: opts.ratePerSecond,
    durationMs: opts.durationMs,
    maxRequests: opts.maxRequests,
  })) {
    if (!(Number.isFinite(v) && v > 0))
      throw new UserError(`load ${name} must be a positive number, got ${v}`);
  }
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? silentLogger;
  const timeoutMs = Math.max(1000, opts.timeoutMs ?? 5000);
  const connections = Math.max(
    1,
    Math.min(opts.connections ?? 4, Math.floor(opts.ratePerSecond), opts.maxRequests),
  );
  // A refused connection fails in microseconds and autocannon reconnects at once: pace
  // reconnects at the connection's share of the rate so an outage cannot become a busy loop.
  const reconnectDelayMs = Math.ceil((1000 * connections) / opts.ratePerSecond);
  const collected: RequestSample[] = [];
  let stopRequested = false;

  const record = (client: CannonClient, status: number, latencyMs: number, error?: string) => {
    if (collected.length >= opts.maxRequests) return;
    const req = client.requestIterator.currentRequest;
    const sample: RequestSample = {
      route: req.path ?? '/',
      method: req.method ?? 'GET',
      status,
      latencyMs,
      at: clock.now(),
      ...(error ? { error } : {}),
    };
    collected.push(sample);
    opts.onSample?.(sample);
    if (collected.length >= opts.maxRequests) stop();
  };

  const setupClient = (client: CannonClient) => {
    const connect = client._connect.bind(client);
    let failing = false;
    let connectStartedMs = clock.now().monoMs;
    // autocannon keeps a request whose connection failed or closed in its FIFO and times the
    // next answer from that stale entry: after an outage, latencies would include the outage.
    // Drop such requests; returns how long the oldest had been waiting.
    const dropLost = (): number | undefined => {
      const oldest = client.pipelinedRequests.peek();
      client.pipelinedRequests.clear();
      if (!oldest) return undefined;
      const [sec, ns] = process.hrtime(oldest.startTime);
      return sec * 1000 + ns / 1e6;
    };
    client._connect = () => {
      const waitedMs = dropLost();
      // Still in the queue here means the server closed the connection without answering.
      if (waitedMs !== undefined) record(client, 0, waitedMs, 'connection closed before an answer');
      const go = () => {
        if (client.destroyed || stopRequested) return;
        connectStartedMs = clock.now().monoMs;
        connect();
      };
      // After stop() autocannon keeps its clients until its next 1 s tick: do not reconnect then.
      if (stopRequested) return;
      if (failing) setTimeout(go, reconnectDelayMs).unref();
      else go();
    };
    client.on('response', (status: number, _bytes: number, durationMs: number) => {
      failing = false;
      record(client, status, durationMs);
    });
    client.on('connError', (err: Error & { code?: string }) => {
      failing = true;
      const waitedMs = dropLost() ?? clock.now().monoMs - connectStartedMs;
      record(client, 0, waitedMs, err.code ?? err.message);
    });
    client.on('timeout', () => {
      failing = true;
      record(client, 0, timeoutMs, 'timeout');
    });
  };

  const instance = autocannon(
    {
      url: url.origin,
      connections,
      overallRate: Math.max(1, Math.round(opts.ratePerSecond)),
      amount: opts.maxRequests,
      duration: Math.ceil(opts.durationMs / 1000),
      timeout: timeoutMs / 1000,
      requests: requestsFor(opts),
      setupClient: (c) => setupClient(c as unknown as CannonClient),
    },
    () => {},
  );
  const done = new Promise<LoadSummary>((resolve) => {
    instance.once('done', () => resolve(summarizeLoad(collected)));
  });
  // autocannon ignores `duration` when `amount` is set: enforce the time bound ourselves.
  const timer = setTimeout(() => stop(), opts.durationMs);
  function stop(): void {
    if (stopRequested) return;
    stopRequested = true;
    clearTimeout(timer);
    instance.stop();
  }
  log.info('background load started', { target: url.origin, ratePerSecond: opts.ratePerSecond, connections });
  void done.then((s) =>
    log.info('background load ended', { requests: s.requests, errors: s.errors, p95Ms: s.p95Ms }),
  );
  return {
    samples: () => collected,
    done,
    stop: () => {
      stop();
      return done;
    },
  };
}

export {
  customerImpactMs,
  type ImpactEpisode,
  type ImpactOptions,
  impactEpisodes,
  isImpacted,
} from './impact.ts';

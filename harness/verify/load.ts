/**
 * Background load during a drill, so error rate and p95 mean something: `connections` keep-alive
 * HTTP connections, each sending one request at a time on its share of the rate, bounded in
 * rate, time (durationMs) and count (maxRequests), with the runbook's traffic mix (GET
 * /v1/status, GET /health, POST /v1/tasks with a Bearer token). Every request's outcome is
 * handed to `onSample`, for the probe detection and for customer impact (see impact.ts).
 * node:http rather than a load-testing library: at ten requests a second it needs no
 * histograms, and autocannon alone was ~30 MB of the harness's memory.
 */
import { Agent, type ClientRequest, request } from 'node:http';
import { type Clock, systemClock } from '../core/clock.ts';
import { UserError } from '../core/errors.ts';
import { type Logger, silentLogger } from '../core/log.ts';
import { percentile } from '../core/metrics.ts';
import type { RequestSample } from './impact.ts';

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
  /** Per-request timeout: no answer within it is a failed sample. */
  readonly timeoutMs?: number;
  /** Relative weights of the three requests; default 3:1:1. */
  readonly mix?: TrafficMix;
  /** The route of each kind of request; default the runbook's /v1/status, /health, /v1/tasks. */
  readonly paths?: Partial<Record<keyof TrafficMix, string>>;
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
  /** Stop early (idempotent); resolves when the connections are closed. */
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
  const status = { method: 'GET' as const, path: opts.paths?.status ?? '/v1/status' };
  const health = { method: 'GET' as const, path: opts.paths?.health ?? '/health' };
  const task = {
    method: 'POST' as const,
    path: opts.paths?.tasks ?? '/v1/tasks',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${opts.token}` },
    body: JSON.stringify({ description: 'firedrill background load' }),
  };
  // Interleave by weight so every stretch of a connection's cycle carries the whole mix.
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

type LoadRequest = ReturnType<typeof requestsFor>[number];

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
  const timeoutMs = opts.timeoutMs ?? 5000;
  const mix = requestsFor(opts);
  const connections = Math.max(
    1,
    Math.min(opts.connections ?? 4, Math.floor(opts.ratePerSecond), opts.maxRequests),
  );
  // Each connection sends on its own fixed schedule, so a failing server (a refused connection
  // fails in microseconds) gets the same rate as a healthy one, never a busy loop.
  const periodMs = (1000 * connections) / opts.ratePerSecond;
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const stopping = new AbortController();
  const inFlight = new Set<ClientRequest>();
  const collected: RequestSample[] = [];
  let sent = 0;

  const record = (r: LoadRequest, status: number, latencyMs: number, error?: string) => {
    if (stopping.signal.aborted || collected.length >= opts.maxRequests) return;
    const sample: RequestSample = {
      route: r.path,
      method: r.method,
      status,
      latencyMs,
      at: clock.now(),
      ...(error ? { error } : {}),
    };
    collected.push(sample);
    opts.onSample?.(sample);
    if (collected.length >= opts.maxRequests) stop();
  };

  /** One request, timed from its own start; resolves once it has an outcome. */
  const send = (r: LoadRequest) =>
    new Promise<void>((resolve) => {
      const startedMs = clock.now().monoMs;
      let req: ClientRequest | undefined;
      const done = (status: number, error?: string, latencyMs = clock.now().monoMs - startedMs) => {
        if (!req || !inFlight.delete(req)) return;
        record(r, status, latencyMs, error);
        resolve();
      };
      req = request(
        new URL(r.path, url),
        { method: r.method, headers: 'headers' in r ? r.headers : {}, agent, timeout: timeoutMs },
        (res) => {
          res.on('error', (err: NodeJS.ErrnoException) => done(0, err.code ?? err.message));
          res.on('end', () => done(res.statusCode ?? 0));
          res.resume();
        },
      );
      inFlight.add(req);
      req.on('timeout', () => {
        done(0, 'timeout', timeoutMs);
        req?.destroy();
      });
      req.on('error', (err: NodeJS.ErrnoException) => done(0, err.code ?? err.message));
      req.on('close', () => {
        // stop() destroyed it: not a sample, but the connection's loop must end
        if (req && inFlight.delete(req)) resolve();
      });
      req.end('body' in r ? r.body : undefined);
    });

  const connection = async (index: number) => {
    // Staggered in time and in the mix, so the connections' requests (and their tasks) spread
    // evenly instead of arriving together.
    let next = clock.now().monoMs + (index * periodMs) / connections;
    const offset = Math.floor((index * mix.length) / connections);
    for (let i = 0; !stopping.signal.aborted && sent < opts.maxRequests; i++) {
      await clock.sleep(Math.max(0, next - clock.now().monoMs), stopping.signal);
      if (stopping.signal.aborted || sent >= opts.maxRequests) break;
      sent++;
      await send(mix[(offset + i) % mix.length]!);
      next = Math.max(next + periodMs, clock.now().monoMs);
    }
  };

  const timer = setTimeout(() => stop(), opts.durationMs);
  function stop(): void {
    if (stopping.signal.aborted) return;
    stopping.abort();
    clearTimeout(timer);
    for (const req of inFlight) req.destroy();
  }
  const done = Promise.all(Array.from({ length: connections }, (_, i) => connection(i))).then(() => {
    stop();
    agent.destroy();
    return summarizeLoad(collected);
  });
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
  type RequestSample,
} from './impact.ts';

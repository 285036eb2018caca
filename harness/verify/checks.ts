/**
 * Verification as the runbook prescribes it: health and dependency endpoints, a functional
 * record round-trip through a trail that must mention it, data integrity of records written
 * before the fault, and a small performance probe. The routes are the target's (its config's
 * `checks`); one round runs the scenario's checks and passes only if all do.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Clock, Instant } from '../core/clock.ts';
import { messageWithCause } from '../core/errors.ts';
import type { VerificationCheck } from '../scenario/schema.ts';

/**
 * The dependencies the `dependencies` check found failing, each by the last segment of its route
 * (`GET /health/database answered 503` -> database, `/healthz/redis` -> redis): what escalation counts.
 */
export const failingDependencies = (failures: readonly string[]): Set<string> =>
  new Set(
    failures
      .filter((f) => f.startsWith('dependencies: '))
      .flatMap((f) => [...f.matchAll(/GET \S*\/([^/\s?]+)(?:\?\S*)? answered/g)].map((m) => m[1]!)),
  );

/** A record written in steady state is gone or changed, not a read that failed while the API was down. */
export const showsDataLoss = (failure: string): boolean =>
  /^data-integrity: .*(is gone|changed:)/.test(failure);

export interface VerificationRound {
  readonly passed: boolean;
  readonly failures: readonly string[];
  readonly startedAt: Instant;
}

export interface Verifier {
  /** Write the records whose survival the data-integrity check verifies. Run in steady state. */
  prepare(): Promise<void>;
  round(signal?: AbortSignal): Promise<VerificationRound>;
}

/**
 * The target's routes for each check. Records: POST `{description}` answers 201 `{id}`, GET
 * `<records>/<id>` answers `{id, description, status}`.
 */
export interface CheckRoutes {
  readonly health: string;
  /** Each answers 2xx; a failure quotes the path, so `/health/<name>` names the dependency. */
  readonly dependencies: readonly string[];
  /** Where data-integrity, functional and task-completion write and read records. */
  readonly records?: string;
  /** After a record is written, this GET's body must mention its id. */
  readonly functional?: string;
  readonly performance?: string;
}

/** The route each check needs beyond health, to refuse a scenario its target cannot verify. */
const NEEDS: Partial<Record<VerificationCheck, readonly (keyof CheckRoutes)[]>> = {
  functional: ['records', 'functional'],
  'data-integrity': ['records'],
  'task-completion': ['records'],
  performance: ['performance'],
};

/** `checks.<route>` entries the scenario's checks need and the routes lack. */
export const missingRoutes = (checks: readonly VerificationCheck[], routes: CheckRoutes): string[] => [
  ...new Set(checks.flatMap((c) => (NEEDS[c] ?? []).filter((r) => routes[r] === undefined))),
];

export interface HttpVerifierOptions {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly checks: readonly VerificationCheck[];
  readonly routes: CheckRoutes;
  readonly clock: Clock;
  /** Per-request timeout; a hung dependency must fail the round, not stall it. */
  readonly requestTimeoutMs?: number;
  readonly integrityRecords?: number;
  /** Performance validation thresholds (the runbook's: p95 < 2 s, errors < 5%). */
  readonly p95ThresholdMs?: number;
  readonly errorRateThreshold?: number;
  /** How long a task may take to go through council and the LLM API. */
  readonly taskCompletionTimeoutMs?: number;
}

export function createHttpVerifier(opts: HttpVerifierOptions): Verifier {
  const timeout = opts.requestTimeoutMs ?? 2000;
  const auth = { authorization: `Bearer ${opts.apiKey}` };
  const { routes } = opts;
  const route = (name: keyof Omit<CheckRoutes, 'dependencies'>): string => {
    const path = routes[name];
    if (path === undefined) throw new Error(`the target's config has no checks.${name} route`);
    return path;
  };
  const written: IntegrityRecord[] = [];

  // Every request on a connection of its own, as the runbook's curl makes: a kept-alive one
  // would pin every later round to whatever it first reached (a pod that is gone since, or, where
  // a network accepts any connection, a proxy that is not the service at all).
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(opts.baseUrl + path, {
      headers: { ...headers, connection: 'close' },
      signal: AbortSignal.timeout(timeout),
    });

  const postTask = async (description: string): Promise<string> => {
    const recordsPath = route('records');
    const res = await fetch(opts.baseUrl + recordsPath, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', connection: 'close' },
      body: JSON.stringify({ description }),
      signal: AbortSignal.timeout(timeout),
    });
    if (res.status !== 201) {
      await res.body?.cancel();
      throw new Error(`POST ${recordsPath} answered ${answer(res)}`);
    }
    const body = (await res.json()) as { id?: string | number };
    if (body.id === undefined) throw new Error(`POST ${recordsPath} returned no id`);
    return String(body.id);
  };

  const expectOk = async (path: string) => {
    const res = await get(path);
    await res.body?.cancel();
    if (!res.ok) throw new Error(`GET ${path} answered ${answer(res)}`);
  };

  const checks: Record<VerificationCheck, () => Promise<void>> = {
    health: () => expectOk(routes.health),
    // every dependency, not only the first that fails: how many are down is what escalation reads
    dependencies: async () => {
      const failed = await Promise.all(
        routes.dependencies.map((path) =>
          expectOk(path).then(
            () => undefined,
            (err: unknown) => (err instanceof Error ? err.message : String(err)),
          ),
        ),
      );
      const problems = failed.filter((f): f is string => f !== undefined);
      if (problems.length) throw new Error(problems.join('; '));
    },
    functional: async () => {
      const id = await postTask('firedrill verification task');
      const trail = route('functional');
      const res = await get(trail, auth);
      if (!res.ok) {
        await res.body?.cancel();
        throw new Error(`GET ${trail.split('?')[0]} answered ${answer(res)}`);
      }
      const text = await res.text();
      if (!text.includes(id)) throw new Error(`audit trail has no event for task ${id}`);
    },
    'data-integrity': async () => {
      // nothing written, nothing verified: an empty list must not pass as "all records intact"
      if (written.length === 0) throw new Error('no records were written in steady state');
      for (const record of written) {
        const path = `${route('records')}/${record.id}`;
        const res = await get(path, auth);
        if (res.status === 404) {
          await res.body?.cancel();
          throw new Error(`record ${record.id} written before the fault is gone`);
        }
        if (!res.ok) {
          await res.body?.cancel();
          throw new Error(`GET ${path} answered ${answer(res)}`);
        }
        const problem = contentProblem(record, (await res.json()) as { id?: unknown; description?: unknown });
        if (problem) throw new Error(`record ${record.id} changed: ${problem}`);
      }
    },
    'task-completion': async () => {
      const id = await postTask('firedrill task-completion check');
      const deadline = opts.clock.now().monoMs + (opts.taskCompletionTimeoutMs ?? 5000);
      let status = 'queued';
      while (opts.clock.now().monoMs < deadline) {
        const res = await get(`${route('records')}/${id}`, auth);
        if (res.ok) status = String(((await res.json()) as { status?: string }).status);
        else await res.body?.cancel();
        if (status === 'done') return;
        if (status === 'failed') throw new Error(`task ${id} failed`);
        await opts.clock.sleep(100);
      }
      throw new Error(`task ${id} still ${status} after ${opts.taskCompletionTimeoutMs ?? 5000} ms`);
    },
    performance: async () => {
      const samples = 20;
      const latencies: number[] = [];
      let errors = 0;
      for (let i = 0; i < samples; i++) {
        const t0 = opts.clock.now().monoMs;
        const ok = await get(route('performance'))
          .then(async (r) => {
            await r.body?.cancel();
            return r.ok;
          })
          .catch(() => false);
        latencies.push(opts.clock.now().monoMs - t0);
        if (!ok) errors++;
      }
      latencies.sort((a, b) => a - b);
      const p95 = latencies[Math.ceil(0.95 * samples) - 1] ?? 0;
      if (p95 > (opts.p95ThresholdMs ?? 2000)) throw new Error(`p95 ${Math.round(p95)} ms above threshold`);
      if (errors / samples > (opts.errorRateThreshold ?? 0.05))
        throw new Error(`error rate ${errors}/${samples}`);
    },
  };

  return {
    async prepare() {
      // records exist only for the check that reads them back; a target without records has none
      if (!opts.checks.includes('data-integrity')) return;
      // resumable: a retry after a failed write tops up to the wanted number of records
      while (written.length < (opts.integrityRecords ?? 5)) {
        // unique content, so a record swapped for another one does not read back as intact
        const description = `firedrill integrity record ${written.length} ${randomBytes(6).toString('hex')}`;
        const id = await postTask(description);
        written.push({ id, description, checksum: checksum(id, description) });
      }
    },
    async round(signal) {
      const startedAt = opts.clock.now();
      const failures: string[] = [];
      for (const name of opts.checks) {
        try {
          await unlessAborted(checks[name](), signal);
        } catch (err) {
          if (signal?.aborted) throw err;
          failures.push(`${name}: ${failureText(err)}`);
        }
      }
      return { passed: failures.length === 0, failures, startedAt };
    },
  };
}

/** A check's failure in one line; the cause of a failed fetch tells a dead pod from a stale route. */
const failureText = (err: unknown): string =>
  err instanceof Error && err.name === 'TimeoutError' ? 'timed out' : messageWithCause(err);

/**
 * `p`, or the signal's reason as soon as it aborts: a round its caller stopped waiting for ends
 * then, not when its requests time out (they settle unobserved, each within its own timeout).
 */
async function unlessAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  p.catch(() => {});
  signal.throwIfAborted();
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([p, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * A response's status, and the server that sent it when it names itself: a status the target
 * never sends (403 from a network's proxy) then says at once who answered instead.
 */
const answer = (res: Response): string => {
  const server = res.headers.get('server');
  return server ? `${res.status} (server: ${server})` : String(res.status);
};

/** What the data-integrity check wrote in steady state, to compare after recovery. */
interface IntegrityRecord {
  readonly id: string;
  readonly description: string;
  /** sha256 of id and description, computed by the harness when it wrote the record. */
  readonly checksum: string;
}

const checksum = (id: string, description: string): string =>
  createHash('sha256').update(`${id}\n${description}`).digest('hex');

/** How a record read back differs from the one written, or undefined when it is intact. */
function contentProblem(written: IntegrityRecord, read: { id?: unknown; description?: unknown }) {
  if (String(read.id) !== written.id) return `id reads back as ${JSON.stringify(read.id)}`;
  if (typeof read.description !== 'string') return 'description missing';
  if (read.description !== written.description)
    return `description ${JSON.stringify(read.description)}, written ${JSON.stringify(written.description)}`;
  if (checksum(String(read.id), read.description) !== written.checksum) return 'checksum differs';
  return undefined;
}

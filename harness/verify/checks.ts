/**
 * Verification as the runbook prescribes it: health and dependency endpoints, a functional
 * task round-trip with the audit trail, data integrity of records written before the fault,
 * and a small performance probe. One round runs the scenario's checks; it passes only if all do.
 */
import type { Clock, Instant } from '../core/clock.ts';
import type { VerificationCheck } from '../scenario/schema.ts';

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

export interface HttpVerifierOptions {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly checks: readonly VerificationCheck[];
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
  const written: string[] = [];

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(opts.baseUrl + path, { headers, signal: AbortSignal.timeout(timeout) });

  const postTask = async (description: string): Promise<string> => {
    const res = await fetch(opts.baseUrl + '/v1/tasks', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ description }),
      signal: AbortSignal.timeout(timeout),
    });
    if (res.status !== 201) throw new Error(`POST /v1/tasks answered ${res.status}`);
    const body = (await res.json()) as { id?: string | number };
    if (body.id === undefined) throw new Error('POST /v1/tasks returned no id');
    return String(body.id);
  };

  const expectOk = async (path: string) => {
    const res = await get(path);
    await res.body?.cancel();
    if (!res.ok) throw new Error(`GET ${path} answered ${res.status}`);
  };

  const checks: Record<VerificationCheck, () => Promise<void>> = {
    health: () => expectOk('/health'),
    dependencies: async () => {
      for (const path of ['/health/database', '/health/redis', '/health/external-apis']) await expectOk(path);
    },
    functional: async () => {
      const id = await postTask('firedrill verification task');
      const res = await get('/v1/audit/events?limit=50', auth);
      if (!res.ok) throw new Error(`GET /v1/audit/events answered ${res.status}`);
      const text = await res.text();
      if (!text.includes(id)) throw new Error(`audit trail has no event for task ${id}`);
    },
    'data-integrity': async () => {
      for (const id of written) {
        const res = await get(`/v1/tasks/${id}`, auth);
        await res.body?.cancel();
        if (res.status === 404) throw new Error(`task ${id} written before the fault is gone`);
        if (!res.ok) throw new Error(`GET /v1/tasks/${id} answered ${res.status}`);
      }
    },
    'task-completion': async () => {
      const id = await postTask('firedrill task-completion check');
      const deadline = opts.clock.now().monoMs + (opts.taskCompletionTimeoutMs ?? 5000);
      let status = 'queued';
      while (opts.clock.now().monoMs < deadline) {
        const res = await get(`/v1/tasks/${id}`, auth);
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
        const ok = await get('/v1/status')
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
      // resumable: a retry after a failed write tops up to the wanted number of records
      while (written.length < (opts.integrityRecords ?? 5))
        written.push(await postTask(`firedrill integrity record ${written.length}`));
    },
    async round() {
      const startedAt = opts.clock.now();
      const failures: string[] = [];
      for (const name of opts.checks) {
        try {
          await checks[name]();
        } catch (err) {
          failures.push(
            `${name}: ${err instanceof Error ? (err.name === 'TimeoutError' ? 'timed out' : err.message) : String(err)}`,
          );
        }
      }
      return { passed: failures.length === 0, failures, startedAt };
    },
  };
}

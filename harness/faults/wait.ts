import type { Clock } from '../core/clock.ts';
import type { FaultContext } from './types.ts';

/**
 * Poll `probe` until it returns true or `timeoutMs` passes. Returns whether it became true.
 * Bounded in time by construction.
 */
export async function waitUntil(
  probe: () => Promise<boolean>,
  opts: { clock: Clock; timeoutMs: number; intervalMs?: number; signal?: AbortSignal },
): Promise<boolean> {
  const start = opts.clock.now().monoMs;
  const interval = opts.intervalMs ?? 200;
  while (opts.clock.now().monoMs - start <= opts.timeoutMs) {
    if (opts.signal?.aborted) return false;
    if (await probe().catch(() => false)) return true;
    await opts.clock.sleep(interval, opts.signal);
  }
  return false;
}

/** Wait until the fault `what` is observable (`probe`), within the context's confirm timeout. */
export async function confirm(ctx: FaultContext, what: string, probe: () => Promise<boolean>): Promise<void> {
  const ok = await waitUntil(probe, {
    clock: ctx.clock,
    timeoutMs: ctx.confirmTimeoutMs,
    signal: ctx.signal,
  });
  if (!ok) throw new Error(`fault not observable within ${ctx.confirmTimeoutMs} ms: ${what}`);
}

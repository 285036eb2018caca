/**
 * A fault is an inject + revert pair. `inject()` writes the ledger entry first, applies the
 * change, and returns only once the fault is observable; the `InjectedFault` it returns is the
 * only way to revert, so a fault cannot be reverted before it exists.
 */
import type { Clock, Instant } from '../core/clock.ts';
import type { Ledger } from '../core/ledger.ts';
import type { Logger } from '../core/log.ts';
import type { RunningStack } from '../platforms/types.ts';

export interface FaultContext {
  readonly stack: RunningStack;
  readonly ledger: Ledger;
  readonly clock: Clock;
  readonly log: Logger;
  /** Bound for "wait until the fault is observable". */
  readonly confirmTimeoutMs: number;
  readonly signal?: AbortSignal;
}

export interface InjectedFault {
  /** Human description, e.g. "shop-postgres killed and held down". */
  readonly description: string;
  /** What the platform could not make the fault do as specified; goes into the run record. */
  readonly limitations?: readonly string[];
  /**
   * When the change took effect (the platform applied it), before any wait for its symptoms:
   * MTTD counts from here, so a rollout whose crash loop takes seconds to show is not credited
   * with those seconds. Absent: the fault was observable the moment inject() returned.
   */
  readonly appliedAt?: Instant;
  /** Idempotent: safe after the runbook already fixed the fault, and safe to call twice. */
  revert(): Promise<void>;
}

export interface FaultDriver {
  readonly kind: string;
  /** What inject() would do; used by --dry-run. Changes nothing. */
  describe(): string;
  inject(ctx: FaultContext): Promise<InjectedFault>;
}

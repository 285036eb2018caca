/**
 * A fault adapter: the system-specific half of a fault kind, brought by the target's config
 * (its `faults` modules) rather than built into the engine, e.g. a mock service's control API.
 */
import type { Fault, FaultKind } from '../scenario/schema.ts';
import type { FaultDriver } from './types.ts';

export interface FaultAdapter<K extends FaultKind = FaultKind> {
  readonly kind: K;
  create(spec: Extract<Fault, { kind: K }>): FaultDriver;
}

/**
 * Declare a fault adapter; a config's `faults` lists the modules that default-export one.
 *
 * @example
 * export default defineFaultAdapter({
 *   kind: 'llm-rate-limit',
 *   create: (spec) => ({ kind: spec.kind, describe: () => '…', inject: async (ctx) => … }),
 * });
 */
export function defineFaultAdapter<K extends FaultKind>(adapter: FaultAdapter<K>): FaultAdapter<K> {
  return adapter;
}

/** What a module's default export must look like to be used as an adapter. */
export const isFaultAdapter = (value: unknown): value is FaultAdapter =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { kind?: unknown }).kind === 'string' &&
  typeof (value as { create?: unknown }).create === 'function';

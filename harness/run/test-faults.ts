/**
 * TEST HOOK, not a feature. The e2e tests must prove that restore runs after the interruption
 * points a signal cannot reach from outside the process: an exception thrown by the
 * remediation, a remediation that overruns its phase deadline, and an error thrown outside the
 * run loop's promise chain (a timer or event handler of a platform or load generator).
 * FIREDRILL_TEST_FAULTS provokes them in a real `pnpm scenario` child process:
 *
 *   remediate:throw     the runbook's remediation throws as soon as it starts
 *   remediate:hang      the remediation never returns, and the remediate phase deadline drops
 *                       to HANG_DEADLINE_MS, so the run loop's own PhaseTimeout fires (instead
 *                       of waiting the scenario's real five minutes)
 *   detect:uncaught     once the detect phase starts (fault live), a timer throws: an
 *                       'uncaughtException' nothing in the drill can catch
 *   detect:unhandled    the same, as a promise rejection nobody handles ('unhandledRejection')
 *
 * Why it cannot fire by accident: only the composition root reads the variable, once per drill;
 * any other value is refused as bad input before anything changes; and a drill that ran with
 * a hook says so on stderr and in its record's limitations, so its verdict is never mistaken
 * for a measurement.
 */
import { UserError } from '../core/errors.ts';
import type { Phase } from '../core/timeline.ts';
import type { Scenario } from '../scenario/schema.ts';
import type { RunbookPlan } from './types.ts';

export const TEST_FAULTS_ENV = 'FIREDRILL_TEST_FAULTS';
export const TEST_FAULTS = [
  'remediate:throw',
  'remediate:hang',
  'detect:uncaught',
  'detect:unhandled',
] as const;
export type TestFault = (typeof TEST_FAULTS)[number];

/** Short enough for CI, long enough that the investigation steps before it still run. */
export const HANG_DEADLINE_MS = 2000;

/** The hook named in the environment, if any; an unknown value is bad input. */
export function testFaultFrom(env: NodeJS.ProcessEnv): TestFault | undefined {
  const value = env[TEST_FAULTS_ENV];
  if (value === undefined || value === '') return undefined;
  if ((TEST_FAULTS as readonly string[]).includes(value)) return value as TestFault;
  throw new UserError(
    `${TEST_FAULTS_ENV}="${value}": unknown test hook; expected one of ${TEST_FAULTS.join(', ')}, or unset it`,
  );
}

/** The note a hooked drill carries in its record and prints as a warning. */
export const testFaultNote = (fault: TestFault): string =>
  `test hook ${TEST_FAULTS_ENV}=${fault} was active: this drill's verdict is not a measurement`;

type OnPhase = (phase: Phase, waitingFor: string) => void;

/** After detect is announced: the phase is under way, and a test has time to capture the footprint. */
export const ASYNC_FAULT_DELAY_MS = 1000;

/**
 * Apply the hook: a remediation that throws or hangs (for a hang, a short phase deadline), or a
 * phase callback that arms one asynchronous throw when detect starts.
 */
export function withTestFault(
  fault: TestFault,
  scenario: Scenario,
  plan: RunbookPlan,
  onPhase?: OnPhase,
): { scenario: Scenario; plan: RunbookPlan; onPhase?: OnPhase } {
  const unchanged = { scenario, plan, ...(onPhase ? { onPhase } : {}) };
  if (fault === 'detect:uncaught' || fault === 'detect:unhandled') {
    const error = new Error(`${TEST_FAULTS_ENV}=${fault}: thrown outside the run loop during detect`);
    let armed = true;
    return {
      ...unchanged,
      onPhase: (phase, waitingFor) => {
        onPhase?.(phase, waitingFor);
        if (phase !== 'detect' || !armed) return;
        armed = false;
        setTimeout(() => {
          if (fault === 'detect:uncaught') throw error;
          void Promise.reject(error);
        }, ASYNC_FAULT_DELAY_MS);
      },
    };
  }
  if (fault === 'remediate:throw') {
    return {
      ...unchanged,
      plan: {
        ...plan,
        remediate: async () => {
          throw new Error(`${TEST_FAULTS_ENV}=remediate:throw: remediation threw`);
        },
      },
    };
  }
  return {
    ...unchanged,
    scenario: { ...scenario, timeouts: { ...scenario.timeouts, remediateMs: HANG_DEADLINE_MS } },
    plan: {
      ...plan,
      // Settles only when the run loop gives up on the phase, so nothing outlives the drill.
      remediate: (_hooks, signal) =>
        new Promise((_, reject) => {
          if (signal.aborted) reject(signal.reason);
          else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        }),
    },
  };
}

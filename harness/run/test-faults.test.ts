import { describe, expect, it, vi } from 'vitest';
import { UserError } from '../core/errors.ts';
import { loadScenario } from '../scenario/load.ts';
import {
  ASYNC_FAULT_DELAY_MS,
  HANG_DEADLINE_MS,
  TEST_FAULTS_ENV,
  testFaultFrom,
  withTestFault,
} from './test-faults.ts';
import type { RunbookPlan, StepHooks } from './types.ts';

const plan = {
  remediate: async () => [],
  investigate: async () => [],
} as unknown as RunbookPlan;
const hooks = {} as StepHooks;

describe('FIREDRILL_TEST_FAULTS', () => {
  it('is off unless set, and refuses any value it does not know', () => {
    expect(testFaultFrom({})).toBeUndefined();
    expect(testFaultFrom({ [TEST_FAULTS_ENV]: '' })).toBeUndefined();
    expect(testFaultFrom({ [TEST_FAULTS_ENV]: 'remediate:throw' })).toBe('remediate:throw');
    expect(() => testFaultFrom({ [TEST_FAULTS_ENV]: 'remediate:Throw' })).toThrow(UserError);
    expect(() => testFaultFrom({ [TEST_FAULTS_ENV]: '1' })).toThrow(/unknown test hook; expected one of/);
  });

  it('remediate:throw makes the remediation throw and leaves the deadline alone', async () => {
    const scenario = await loadScenario('db-outage');
    const hooked = withTestFault('remediate:throw', scenario, plan);
    expect(hooked.scenario.timeouts).toEqual(scenario.timeouts);
    await expect(hooked.plan.remediate(hooks, new AbortController().signal)).rejects.toThrow(
      'remediation threw',
    );
    expect(hooked.plan.investigate).toBe(plan.investigate);
  });

  it('remediate:hang shortens the phase deadline and ends only when the phase gives up', async () => {
    const scenario = await loadScenario('db-outage');
    const hooked = withTestFault('remediate:hang', scenario, plan);
    expect(hooked.scenario.timeouts.remediateMs).toBe(HANG_DEADLINE_MS);
    expect(scenario.timeouts.remediateMs).toBeGreaterThan(HANG_DEADLINE_MS); // not mutated
    const ctl = new AbortController();
    const pending = hooked.plan.remediate(hooks, ctl.signal);
    ctl.abort(new Error('phase over'));
    await expect(pending).rejects.toThrow('phase over');
  });

  it('detect:uncaught throws from a timer once detect starts, once, and passes every phase on', async () => {
    const scenario = await loadScenario('db-outage');
    const seen: string[] = [];
    const hooked = withTestFault('detect:uncaught', scenario, plan, (p) => seen.push(p));
    expect(hooked.plan).toBe(plan);
    expect(hooked.scenario).toBe(scenario);
    vi.useFakeTimers();
    try {
      hooked.onPhase!('steady-state', '');
      hooked.onPhase!('inject', '');
      expect(vi.getTimerCount()).toBe(0); // nothing before the fault is live
      hooked.onPhase!('detect', '');
      // thrown by the timer itself, outside any promise chain of the caller
      expect(() => vi.advanceTimersByTime(ASYNC_FAULT_DELAY_MS)).toThrow(
        'detect:uncaught: thrown outside the run loop during detect',
      );
      hooked.onPhase!('detect', ''); // a second detect (repeat) does not arm it again
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
    expect(seen).toEqual(['steady-state', 'inject', 'detect', 'detect']);
  });
});

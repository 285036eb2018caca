/**
 * Each drill mode as an ordered list of phases. The runner (loop.ts) runs them in order, each
 * under its deadline, then restores; no phase asks which mode it is in.
 */

import {
  afterRecovery,
  type Drill,
  detect,
  inject,
  type PlanStep,
  remediate,
  steadyState,
  verify,
  watchQuietly,
} from './phases.ts';
import type { DrillMode } from './types.ts';

export interface Plan {
  /** Whether the scenario's alerts are the detection this run expects (a control run expects none). */
  readonly expectsAlerts: boolean;
  readonly phases: readonly PlanStep[];
  /** After the phases, outside any deadline: the runbook's post-incident steps. */
  readonly afterwards?: (d: Drill) => Promise<void>;
}

const scenarioFault = inject((d) => d.o.scenario.fault, { armed: true });

export const PLANS: Readonly<Record<DrillMode, Plan>> = {
  /** Break it, wait for the alert, run the runbook, verify recovery. */
  drill: {
    expectsAlerts: true,
    phases: [steadyState, scenarioFault, detect, remediate, verify],
    afterwards: afterRecovery,
  },
  /** Break it and do nothing: does the system come back without the runbook? */
  counterfactual: { expectsAlerts: true, phases: [steadyState, scenarioFault, detect, verify] },
  /** Break nothing and watch: anything that fires is a false positive. */
  control: {
    expectsAlerts: false,
    phases: [steadyState, inject(() => ({ kind: 'none' }), { armed: false }), watchQuietly],
  },
};

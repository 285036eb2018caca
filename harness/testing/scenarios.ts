import { type ScenarioInput, scenarioSchema } from '../scenario/schema.ts';

/**
 * The database outage unit tests drill: workload `db` killed, one expected alert, the runbook's
 * database section. `over` replaces whole top-level fields (targets, timeouts, detection...).
 */
export const dbOutageScenario = (over: Partial<ScenarioInput> = {}) =>
  scenarioSchema.parse({
    name: 'db-outage',
    title: 'Database down',
    severity: 'critical',
    runbook: { section: 'database' },
    fault: { kind: 'dependency-down', workload: 'db' },
    detection: { alerts: ['DatabaseUnreachable'] },
    ...over,
  });

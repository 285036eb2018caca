import { defineScenario } from '../harness/scenario/schema.ts';

/** Postgres is killed and stays down until someone restarts it; the API reports unhealthy. */
export default defineScenario({
  name: 'db-outage',
  title: 'Database connection loss',
  severity: 'critical',
  runbook: { section: 'database' },
  fault: { kind: 'dependency-down', workload: 'agent-agency-postgres', mode: 'kill' },
  detection: { alerts: ['DatabaseUnreachable', 'APIHealthCheckFailure'] },
});

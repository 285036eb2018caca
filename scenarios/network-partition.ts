import { defineScenario } from '../harness/scenario/schema.ts';

/**
 * Traffic from the orchestrator to Postgres and Redis is denied. Restarting the orchestrator
 * (what the reference runbook prescribes) does not lift a deny, so removing it is an extra step.
 */
export default defineScenario({
  name: 'network-partition',
  title: 'Network partition between the API and its data stores',
  severity: 'critical',
  runbook: { section: 'network' },
  fault: {
    kind: 'network-deny',
    from: 'agent-agency-orchestrator',
    to: ['agent-agency-postgres', 'agent-agency-redis'],
  },
  detection: { alerts: ['DatabaseUnreachable', 'RedisUnreachable', 'APIHealthCheckFailure'] },
  remediation: {
    extraSteps: [
      {
        description: 'Remove the policy that denies the orchestrator its data stores',
        action: { verb: 'delete-network-policy', name: 'firedrill-deny-orchestrator' },
        notInRunbook: true,
      },
    ],
  },
});

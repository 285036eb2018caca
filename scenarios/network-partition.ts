import { defineScenario } from '../harness/scenario/schema.ts';

/**
 * Traffic from the orchestrator to Postgres and Redis is denied. Restarting the orchestrator
 * (what the reference runbook prescribes) does not lift a deny, so removing it is an extra step:
 * delete the policies the release does not own (not labelled part of the app), found the way an
 * on-call engineer would, not by the fault's own policy name.
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
        description:
          "Delete the network policies that are not part of the release (kubectl delete networkpolicy -l '!app.kubernetes.io/part-of')",
        action: { verb: 'delete-network-policies', selector: '!app.kubernetes.io/part-of' },
        notInRunbook: true,
      },
    ],
  },
});

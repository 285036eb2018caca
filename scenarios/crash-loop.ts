import { defineScenario } from '../harness/scenario/schema.ts';

/**
 * A configuration rollout the orchestrator refuses at start: every new instance exits, the
 * platform backs off (CrashLoopBackOff) and the API is down. The reference runbook's section
 * says "fix the issue" without a command, so restoring the configuration is an extra step.
 */
export default defineScenario({
  name: 'crash-loop',
  title: 'Orchestrator crash loop after a bad configuration rollout',
  severity: 'critical',
  runbook: { section: 'crash ?loop' },
  fault: {
    kind: 'bad-config-rollout',
    workload: 'agent-agency-orchestrator',
    env: { DB_POOL_MAX: 'not-a-number' },
  },
  detection: { alerts: ['OrchestratorCrashLooping', 'APIHealthCheckFailure'] },
  remediation: {
    extraSteps: [
      {
        description: 'Restore the last good configuration (DB_POOL_MAX=10)',
        action: { verb: 'set-env', workload: 'agent-agency-orchestrator', env: { DB_POOL_MAX: '10' } },
        notInRunbook: true,
      },
      {
        description: 'Scale the orchestrator back to 3 replicas',
        action: { verb: 'scale', workload: 'agent-agency-orchestrator', replicas: 3 },
        notInRunbook: true,
      },
    ],
  },
});

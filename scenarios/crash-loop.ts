import { defineScenario } from '../harness/scenario/schema.ts';

/**
 * A configuration rollout the orchestrator refuses at start: every new instance exits, the
 * platform backs off (CrashLoopBackOff) and the API is down. The reference runbook's section
 * says "fix the issue" without a command, so rolling the bad rollout back is an extra step:
 * what an on-call engineer does from the symptoms (it broke right after a rollout), without
 * knowing which value the fault set.
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
        description: 'Roll the bad rollout back (kubectl rollout undo deployment/agent-agency-orchestrator)',
        action: { verb: 'rollout-undo', workload: 'agent-agency-orchestrator' },
        notInRunbook: true,
      },
    ],
  },
});

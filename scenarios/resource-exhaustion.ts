import { defineScenario } from '../harness/scenario/schema.ts';

/** The orchestrator's memory limit drops below what it needs: instances are OOM-killed. */
export default defineScenario({
  name: 'resource-exhaustion',
  title: 'Resource exhaustion (OOM kills)',
  severity: 'high',
  runbook: { section: 'resource exhaustion' },
  fault: {
    kind: 'resource-pressure',
    workload: 'agent-agency-orchestrator',
    mode: 'oom',
    resources: { limits: { memory: '24Mi' } },
  },
  detection: { alerts: ['OrchestratorCrashLooping', 'APIHealthCheckFailure'] },
});

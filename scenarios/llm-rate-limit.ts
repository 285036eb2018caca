import { defineScenario } from '../harness/scenario/schema.ts';

/**
 * The LLM vendor answers 429 beyond a small rate. Without retries the council fails tasks;
 * the runbook turns on back-off and lowers concurrency.
 */
export default defineScenario({
  name: 'llm-rate-limit',
  title: 'LLM API rate limiting (429)',
  severity: 'high',
  runbook: { section: 'rate limit' },
  fault: { kind: 'llm-rate-limit', requestsPerSecond: 2, burst: 1, retryAfterSeconds: 1 },
  detection: { alerts: ['LLMRateLimited'] },
  verification: { checks: ['health', 'task-completion'], consecutivePasses: 3, intervalMs: 1000 },
});

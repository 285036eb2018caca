import { defineScenario } from '../harness/scenario/schema.ts';

/**
 * The LLM vendor answers 429 beyond its rate, with no burst allowance. Each task is a burst of
 * council-member calls, so without retries the council fails tasks even though the average
 * demand fits the limit; the runbook's fix (back-off that honours Retry-After, fewer
 * concurrent workers) spreads the calls out.
 */
export default defineScenario({
  name: 'llm-rate-limit',
  title: 'LLM API rate limiting (429)',
  severity: 'high',
  runbook: { section: 'rate limit' },
  fault: { kind: 'llm-rate-limit', requestsPerSecond: 20, burst: 1, retryAfterSeconds: 1 },
  detection: { alerts: ['LLMRateLimited'] },
  // with back-off a task may take several seconds: slower, but done rather than failed
  verification: { checks: ['health', 'task-completion'], taskCompletionTimeoutMs: 20_000 },
});

/**
 * Run runbook steps and turn each into a StepResult, pass or fail: classify, check
 * placeholders, run through an executor (a real shell on kube, platform verbs on local),
 * judge the time box, and after every remediation step ask whether health changed.
 */
import { type Clock, elapsedMs, type Instant, systemClock } from '../core/clock.ts';
import { errorMessage } from '../core/errors.ts';
import { type Classification, classifyStep } from './classify.ts';
import { failedLikeTheOutage } from './evidence.ts';
import type { HostMap } from './hostmap.ts';
import type { Step } from './model.ts';
import { decisiveRefusals, type StepPolicyOptions } from './step-policy.ts';
import type { StepResult, StepRun } from './step-result.ts';
import { missingMessage, missingVariables, type Variables } from './variables.ts';

export interface RunEnv {
  readonly variables: Variables;
  readonly hostMap: HostMap;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/** Runs one step. `shellExecutor` (kube) and `translatedExecutor` (local) implement it. */
export interface StepExecutor {
  readonly mode: 'shell' | 'translated';
  run(step: Step, env: RunEnv): Promise<StepRun>;
}

export interface ExecuteContext {
  readonly executor: StepExecutor;
  /** Production origins -> drill endpoints; also decides which hosts are "outside the drill". */
  readonly hostMap: HostMap;
  readonly variables?: Variables;
  readonly clock?: Clock;
  /** Per-step bound; default 30 s. */
  readonly timeoutMs?: number;
  /** Time boxes ("0-2 minutes") count from here; default: when executeSteps starts. */
  readonly timeBoxStart?: Instant;
  /** Postcondition after each remediation step: is the system healthy now? Aborted: not known, so not healthy. */
  readonly checkHealth?: (signal?: AbortSignal) => Promise<boolean>;
  /** Is the outage in force (fault injected, not recovered)? Then a diagnostic failing like it is evidence. */
  readonly outageInForce?: () => boolean;
  /**
   * How long an unhealthy system may take to show a remediation step's effect (a restarted
   * database needs a moment before the API reconnects); health is polled until it returns or
   * this passes. Default 5 s. A step that restores health ends the wait at once.
   */
  readonly settleMs?: number;
  /** Between health polls while settling; default 500 ms. */
  readonly settlePollMs?: number;
  /** What steps may do on this machine (harness/runbook/step-policy.ts); refused steps never reach the executor. */
  readonly policy?: Pick<StepPolicyOptions, 'allowHostCommands' | 'maxReplicas'>;
  readonly onStart?: (step: { id: string; title: string; extra: boolean }) => void;
  readonly onEnd?: (result: StepResult) => void;
  readonly signal?: AbortSignal;
}

export const DEFAULT_STEP_TIMEOUT_MS = 30_000;
export const DEFAULT_SETTLE_MS = 5_000;

async function healthy(
  check: (signal?: AbortSignal) => Promise<boolean>,
  signal?: AbortSignal,
): Promise<boolean> {
  try {
    return await check(signal);
  } catch {
    return false;
  }
}

/** Health after a remediation step: wait (bounded) for it to come back, but never for it to go. */
export async function settledHealth(
  ctx: Pick<ExecuteContext, 'checkHealth' | 'settleMs' | 'settlePollMs' | 'signal'>,
  clock: Clock,
  wasHealthy: boolean,
): Promise<boolean> {
  const check = ctx.checkHealth!;
  let now = await healthy(check, ctx.signal);
  if (now || wasHealthy) return now;
  // A round that starts within the window runs to its end: a fix that rolls pods out (kube: new
  // pods, then retries under back-off) shows in the round after it, not before the window closes.
  const start = clock.now();
  const settleMs = ctx.settleMs ?? DEFAULT_SETTLE_MS;
  while (!now && elapsedMs(start, clock.now()) < settleMs && !ctx.signal?.aborted) {
    await clock.sleep(ctx.settlePollMs ?? 500, ctx.signal);
    now = await healthy(check, ctx.signal);
  }
  return now;
}

/**
 * Execute steps in order. Never throws for a failing step; every step yields a result.
 *
 * @example
 * const results = await executeSteps(section.steps, {
 *   executor: translatedExecutor({ perform: (a) => stack.perform(a) }),
 *   hostMap: { 'https://api.example.com': await stack.endpoint('web') },
 *   checkHealth: () => verifier.healthy(),
 * });
 */
export async function executeSteps(steps: readonly Step[], ctx: ExecuteContext): Promise<StepResult[]> {
  const clock = ctx.clock ?? systemClock;
  const boxStart = ctx.timeBoxStart ?? clock.now();
  const variables: Record<string, string> = { ...ctx.variables };
  const results: StepResult[] = [];
  let lastHealth: boolean | undefined;

  for (const step of steps) {
    const classification = classifyStep(step, { hostMap: ctx.hostMap });
    ctx.onStart?.({ id: step.id, title: step.comment?.split('\n')[0] ?? step.command, extra: false });
    let ranFrom = clock.now(); // the step's own run, after any health check before it
    const refusals = decisiveRefusals(step.command, classification.kind === 'not-applicable', {
      ...ctx.policy,
      hostMap: ctx.hostMap,
      variables,
    });
    let run: StepRun;
    if (ctx.signal?.aborted)
      run = {
        status: 'failed',
        exitCode: null,
        output: '',
        error: 'aborted before the step started',
        execution: 'none',
      };
    else if (refusals.length)
      run = {
        status: 'not-runnable',
        exitCode: null,
        output: '',
        error: [...new Set(refusals.map((r) => r.message))].join('; '),
        execution: 'none',
      };
    else if (classification.kind === 'not-applicable')
      run = {
        status: 'not-runnable',
        exitCode: null,
        output: '',
        error: classification.reason,
        execution: 'none',
      };
    else {
      const missing = missingVariables(step.placeholders, variables);
      if (missing.length)
        run = {
          status: 'failed',
          exitCode: null,
          output: '',
          error: missingMessage(missing, variables),
          execution: 'none',
        };
      else {
        const remediation = classification.intent === 'remediation' && ctx.checkHealth;
        // Before the first fix: an outage still in force is unhealthy without asking (a round
        // against a hung API takes seconds the incident would be charged with).
        if (remediation && lastHealth === undefined)
          lastHealth = ctx.outageInForce?.() ? false : await healthy(ctx.checkHealth!);
        ranFrom = clock.now();
        try {
          run = await ctx.executor.run(step, {
            variables,
            hostMap: ctx.hostMap,
            timeoutMs: ctx.timeoutMs ?? DEFAULT_STEP_TIMEOUT_MS,
            ...(ctx.signal ? { signal: ctx.signal } : {}),
          });
        } catch (err) {
          run = {
            status: 'failed',
            exitCode: null,
            output: '',
            error: errorMessage(err),
            execution: ctx.executor.mode,
          };
        }
        Object.assign(variables, run.defined ?? {});
      }
    }
    const ended = clock.now();

    let effect: StepResult['effect'] = 'not-checked';
    if (
      classification.intent === 'remediation' &&
      ctx.checkHealth &&
      run.execution !== 'none' &&
      lastHealth !== undefined
    ) {
      const after = await settledHealth(ctx, clock, lastHealth);
      effect = !lastHealth && after ? 'restored-health' : lastHealth && !after ? 'worsened' : 'no-change';
      lastHealth = after;
    }
    const evidence =
      classification.intent === 'diagnostic' &&
      ctx.outageInForce?.() === true &&
      failedLikeTheOutage(step.command, run);
    const result = toResult(
      step,
      classification,
      run,
      elapsedMs(ranFrom, ended),
      { effect, evidence },
      step.timeBox && {
        fromMs: step.timeBox.fromMs,
        toMs: step.timeBox.toMs,
        fitted: elapsedMs(boxStart, ended) <= step.timeBox.toMs,
      },
    );
    results.push(result);
    ctx.onEnd?.(result);
  }
  return results;
}

function toResult(
  step: Step,
  c: Classification,
  run: StepRun,
  durationMs: number,
  { effect, evidence }: { effect: StepResult['effect']; evidence: boolean },
  timeBox: StepResult['timeBox'],
): StepResult {
  return {
    id: step.id,
    section: step.section,
    kind: c.intent,
    command: step.command,
    ...(step.comment ? { comment: step.comment } : {}),
    line: step.line,
    status: run.status,
    exitCode: run.exitCode,
    durationMs,
    output: run.output,
    ...(run.error ? { error: run.error } : {}),
    execution: run.execution,
    ...(run.translatedTo ? { translatedTo: run.translatedTo } : {}),
    ...(timeBox ? { timeBox } : {}),
    effect,
    ...(run.findings?.length ? { findings: [...run.findings] } : {}),
    ...(evidence ? { evidence: 'showed-outage' as const } : {}),
  };
}

/** Keep the last `limit` bytes of text, cut at a character boundary, marked when cut. */
export function tailExcerpt(text: string, limit = 2048): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= limit) return text;
  return (
    '…' +
    buf
      .subarray(buf.length - limit)
      .toString('utf8')
      .replace(/^\uFFFD+/, '')
  );
}

/**
 * Binds a parsed runbook to a drill: which sections run at which stage, through which
 * executor (literal shell on kube, platform verbs on local), with the scenario's extra steps
 * (the fixes the runbook lacks) run as platform actions and marked as not in the runbook.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type Clock, elapsedMs } from '../core/clock.ts';
import { errorMessage, UserError } from '../core/errors.ts';
import type { RunningStack } from '../platforms/types.ts';
import type { StepResult } from '../report/record.ts';
import {
  DEFAULT_STEP_TIMEOUT_MS,
  executeSteps,
  type StepExecutor,
  settledHealth,
} from '../runbook/execute.ts';
import type { HostMap } from '../runbook/hostmap.ts';
import type { Runbook, Section, Step } from '../runbook/model.ts';
import { findResolution, parseRunbook } from '../runbook/parse.ts';
import type { Scenario } from '../scenario/schema.ts';
import type { RunbookPlan, StepHooks } from './types.ts';

/** Read and parse a runbook file; a missing or unusable file is a UserError naming it. */
export function loadRunbook(file: string): { runbook: Runbook; sha256: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(
      `runbook ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? errorMessage(err)})`,
    );
  }
  const runbook = parseRunbook(text, file);
  if (!runbook.sections.some((s) => s.kind === 'resolution'))
    throw new UserError(`runbook ${file}: no resolution section found; is this a runbook?`);
  return { runbook, sha256: createHash('sha256').update(text).digest('hex') };
}

export interface PlanOptions {
  readonly file: string;
  readonly runbook: Runbook;
  readonly sha256: string;
  readonly scenario: Scenario;
  readonly stack: RunningStack;
  readonly executor: StepExecutor;
  readonly hostMap: HostMap;
  readonly variables: Readonly<Record<string, string>>;
  readonly clock: Clock;
  readonly stepTimeoutMs?: number;
}

/** Which runbook steps run at which stage of a drill of `scenario`. Throws if no section matches. */
export function planOutline(runbook: Runbook, scenario: Scenario) {
  const ofKind = (...kinds: Section['kind'][]) => runbook.sections.filter((s) => kinds.includes(s.kind));
  const stepsOf = (sections: readonly Section[]) => sections.flatMap((s) => [...s.steps]);
  const resolution = findResolution(runbook, scenario.runbook.section);
  const investigation = stepsOf(ofKind('investigation'));
  const after = stepsOf(ofKind('verification', 'post-incident'));
  const extraSteps = scenario.remediation.extraSteps;
  const first = (s: Step) => s.command.split('\n')[0];
  return {
    resolution,
    investigation,
    after,
    extraSteps,
    lines: [
      ...investigation.map((s) => `investigate  line ${s.line}: ${first(s)}`),
      ...resolution.steps.map((s) => `remediate    line ${s.line}: ${first(s)}`),
      ...extraSteps.map((s) => `extra        (not in the runbook): ${s.description}`),
      ...after.map((s) => `after        line ${s.line}: ${first(s)}`),
    ],
  };
}

export function createRunbookPlan(o: PlanOptions): RunbookPlan {
  const { resolution, investigation, after, extraSteps, lines } = planOutline(o.runbook, o.scenario);

  const run = (
    steps: readonly Step[],
    hooks: StepHooks,
    signal: AbortSignal,
    checkHealth = false,
    facts: Readonly<Record<string, string>> = {},
  ) =>
    executeSteps(steps, {
      executor: o.executor,
      hostMap: o.hostMap,
      // what the user passed (--var) wins over what the drill measured
      variables: { ...facts, ...o.variables },
      clock: o.clock,
      timeoutMs: o.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS,
      onStart: hooks.onStart,
      onEnd: hooks.onEnd,
      ...(checkHealth ? { checkHealth: hooks.checkHealth } : {}),
      ...(hooks.outageInForce ? { outageInForce: hooks.outageInForce } : {}),
      signal,
    });

  return {
    file: o.file,
    section: resolution.title,
    sha256: o.sha256,
    hostMap: o.hostMap,
    hasExtraSteps: extraSteps.length > 0,
    investigate: (hooks, signal) => run(investigation, hooks, signal),
    remediate: (hooks, signal) => run(resolution.steps, hooks, signal, true),
    afterRecovery: (hooks, signal, facts) => run(after, hooks, signal, false, facts),
    async extra(hooks, signal) {
      const results: StepResult[] = [];
      let before = await hooks.checkHealth().catch(() => false);
      for (const [i, step] of extraSteps.entries()) {
        if (signal.aborted) break;
        const id = `extra-${i + 1}`;
        hooks.onStart({ id, title: step.description, extra: true });
        const t0 = o.clock.now();
        let output = '';
        let error: string | undefined;
        try {
          output = await o.stack.perform(step.action);
        } catch (err) {
          error = errorMessage(err);
        }
        // judged like the runbook's own steps: give a restarted dependency a moment to show
        const after = await settledHealth({ checkHealth: hooks.checkHealth, signal }, o.clock, before);
        const result: StepResult = {
          id,
          section: '(scenario extra steps, not in the runbook)',
          kind: 'extra',
          command: `${step.description} [${JSON.stringify(step.action)}]`,
          status: error ? 'failed' : 'passed',
          exitCode: error ? 1 : 0,
          durationMs: elapsedMs(t0, o.clock.now()),
          output: output.slice(-2048),
          ...(error ? { error } : {}),
          execution: 'translated',
          translatedTo: step.action.verb,
          effect: !before && after ? 'restored-health' : before && !after ? 'worsened' : 'no-change',
        };
        before = after;
        hooks.onEnd(result);
        results.push(result);
      }
      return results;
    },
    describe: () => lines,
  };
}

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
import { classifyStep } from '../runbook/classify.ts';
import {
  DEFAULT_STEP_TIMEOUT_MS,
  type ExecuteContext,
  executeSteps,
  type StepExecutor,
  settledHealth,
} from '../runbook/execute.ts';
import type { HostMap } from '../runbook/hostmap.ts';
import { type LintFinding, lintRunbook } from '../runbook/lint.ts';
import { allSteps, type Runbook, type Section, type Step } from '../runbook/model.ts';
import { findResolution, parseRunbook } from '../runbook/parse.ts';
import { decisiveRefusals, type StepPolicyOptions } from '../runbook/step-policy.ts';
import type { StepFinding, StepResult } from '../runbook/step-result.ts';
import type { Scenario } from '../scenario/schema.ts';
import { resolveTargets, type TargetOverrides } from './targets.ts';
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
  /** What steps may do on this machine (`--allow-host-commands`, the scale cap). */
  readonly policy?: ExecuteContext['policy'];
  /** `--target-mttd` / `--target-mttr`; win over the runbook's and the scenario's targets. */
  readonly targetOverrides?: TargetOverrides;
}

/**
 * Which runbook steps run at which stage of a drill of `scenario`. Throws if no section matches.
 * With `policy` (the dry run), each step the step policy would refuse is followed by why.
 */
export function planOutline(runbook: Runbook, scenario: Scenario, policy?: StepPolicyOptions) {
  const ofKind = (...kinds: Section['kind'][]) => runbook.sections.filter((s) => kinds.includes(s.kind));
  const stepsOf = (sections: readonly Section[]) => sections.flatMap((s) => [...s.steps]);
  const resolution = findResolution(runbook, scenario.runbook.section);
  const investigation = stepsOf(ofKind('investigation'));
  const after = stepsOf(ofKind('verification', 'post-incident'));
  const extraSteps = scenario.remediation.extraSteps;
  const line = (stage: string, s: Step) => {
    const head = `${stage.padEnd(12)} line ${s.line}: ${s.command.split('\n')[0]}`;
    if (!policy) return [head];
    const c = classifyStep(s, { hostMap: policy.hostMap ?? {} });
    const refused = [
      ...new Set(decisiveRefusals(s.command, c.kind === 'not-applicable', policy).map((r) => r.message)),
    ];
    if (!refused.length && c.kind === 'not-applicable') refused.push(`not applicable: ${c.reason}`);
    return [head, ...refused.map((m) => `               ${m}`)];
  };
  return {
    resolution,
    investigation,
    after,
    extraSteps,
    lines: [
      ...investigation.flatMap((s) => line('investigate', s)),
      ...resolution.steps.flatMap((s) => line('remediate', s)),
      ...extraSteps.map((s) => `extra        (not in the runbook): ${s.description}`),
      ...after.flatMap((s) => line('after', s)),
    ],
  };
}

export function createRunbookPlan(o: PlanOptions): RunbookPlan {
  const { resolution, investigation, after, extraSteps, lines } = planOutline(o.runbook, o.scenario);
  const withLint = lintFindingsOf(o.runbook);

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
      ...(o.policy ? { policy: o.policy } : {}),
      onStart: hooks.onStart,
      onEnd: (r) => hooks.onEnd(withLint(r)),
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
    targets: resolveTargets(o.runbook, o.scenario, o.targetOverrides),
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
          action: step.action,
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

/** The step a lint finding is about: by id, by a line inside it, else within its section. */
function stepOfFinding(runbook: Runbook, f: LintFinding): Step | undefined {
  const steps = allSteps(runbook);
  const byId = f.stepId ? steps.find((s) => s.id === f.stepId) : undefined;
  if (byId) return byId;
  const inside = steps.find((s) => f.line >= s.line && f.line <= (s.lineOffsets.at(-1)?.line ?? s.line));
  if (inside) return inside;
  // a finding between steps (a "fix it" note with no command) or on a heading belongs to its
  // section: shown on the section's next step, or its last one
  const i = runbook.sections.findLastIndex((s) => s.line <= f.line);
  const section = runbook.sections[i];
  const end = runbook.sections[i + 1]?.line ?? Number.POSITIVE_INFINITY;
  if (!section || f.line >= end || section.steps.length === 0) return undefined;
  return section.steps.find((s) => s.line > f.line) ?? section.steps.at(-1);
}

/**
 * The runbook's lint findings, attached to the result of the step they are about, so a report
 * shows them where the drill ran the step. Each keeps its own line.
 */
export function lintFindingsOf(runbook: Runbook): (result: StepResult) => StepResult {
  let findings: LintFinding[];
  try {
    findings = lintRunbook(runbook);
  } catch {
    findings = []; // lint is advice; a drill never fails for it
  }
  const byStep = new Map<string, StepFinding[]>();
  for (const f of findings) {
    const step = stepOfFinding(runbook, f);
    if (!step) continue;
    const list = byStep.get(step.id) ?? [];
    list.push({ kind: 'lint', message: f.message, line: f.line, rule: f.rule, severity: f.severity });
    byStep.set(step.id, list);
  }
  return (result) => {
    const mine = byStep.get(result.id);
    return mine ? { ...result, findings: [...(result.findings ?? []), ...mine] } : result;
  };
}

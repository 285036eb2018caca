/**
 * What a single run record means for a reader: pass or fail with reasons, the runbook findings
 * it produced, and the severity response time it was held to. Every renderer uses these, so
 * the Markdown, HTML and JUnit views cannot disagree about one run.
 */

import type { StepResult } from '../runbook/step-result.ts';
import { fmtDuration } from './format.ts';
import type { RunRecord } from './record.ts';

/**
 * Outcomes where the system came back (with or without the scenario's help). Only
 * `resolved-by-runbook` passes a drill: a runbook that needed extra steps did not resolve it.
 */
export const RESOLVED_OUTCOMES: readonly RunRecord['outcome'][] = [
  'resolved-by-runbook',
  'resolved-with-extra-steps',
];

/** Response time per severity, from the runbook's severity classification table. */
export const SEVERITY_RESPONSE_MS: Record<Exclude<RunRecord['observedSeverity'], 'none'>, number> = {
  critical: 5 * 60_000,
  high: 15 * 60_000,
  medium: 30 * 60_000,
  low: 60 * 60_000,
};

/** The runbook states targets as "< N minutes", so a value equal to the target misses it. */
export const meetsTarget = (valueMs: number | null, targetMs: number): boolean | null =>
  valueMs === null ? null : valueMs < targetMs;

export type RunKind = 'fault' | 'control' | 'counterfactual';
export const runKind = (r: RunRecord): RunKind =>
  r.control ? 'control' : r.counterfactual ? 'counterfactual' : 'fault';

/** A control run is a false positive when the monitoring reported anything while nothing was broken. */
export const controlFired = (r: RunRecord): boolean =>
  r.alertsFired.length > 0 || (r.outcome !== 'not-detected' && r.outcome !== 'aborted');

export interface Verdict {
  /** `error`: the run produced no verdict (aborted); `failure`: a verdict, and it is bad. */
  readonly status: 'pass' | 'failure' | 'error';
  readonly reasons: readonly string[];
}

/**
 * The one judge: pass/fail for CI, the exit code of `pnpm scenario`, and the verdict every
 * report prints. Fault runs pass only when the runbook's own steps resolved the outage within
 * the targets (extra steps the scenario had to supply fail the drill); control runs fail when
 * anything fired; counterfactual runs (remediation skipped on purpose) are judged on detection
 * only, since their outcome is what the experiment observes.
 */
export function judge(r: RunRecord): Verdict {
  if (r.outcome === 'aborted')
    return { status: 'error', reasons: [`aborted: ${r.abortReason ?? 'no reason recorded'}`] };
  const reasons: string[] = [];
  const kind = runKind(r);
  if (kind === 'control') {
    if (controlFired(r)) {
      const names = r.alertsFired.map((a) => a.alert);
      reasons.push(
        `false positive: ${names.length ? names.join(', ') : 'detection'} fired with no fault injected`,
      );
    }
    return { status: reasons.length ? 'failure' : 'pass', reasons };
  }
  if (kind === 'fault' && r.outcome === 'resolved-with-extra-steps') {
    const n = r.steps.filter((s) => s.kind === 'extra').length;
    reasons.push(
      `runbook did not resolve it: ${n} extra step${n === 1 ? '' : 's'} supplied by the scenario; the system came back with them`,
    );
  } else if (kind === 'fault' && r.outcome !== 'resolved-by-runbook') reasons.push(`outcome ${r.outcome}`);
  if (kind === 'counterfactual' && r.outcome === 'not-detected') reasons.push('outcome not-detected');
  for (const metric of ['mttd', 'mttr'] as const) {
    if (metric === 'mttr' && kind !== 'fault') continue;
    const t = judgedTime(r, metric);
    const target = r.targets[`${metric}Ms`];
    if (meetsTarget(t.ms, target) === false)
      reasons.push(`${t.label} ${fmtDuration(t.ms)}${t.note} missed target < ${fmtDuration(target)}`);
  }
  if (kind === 'fault' && !r.targetsMet && reasons.length === 0)
    reasons.push('run record says targets not met');
  return { status: reasons.length ? 'failure' : 'pass', reasons };
}

/**
 * The MTTD or MTTR a target is judged on: on the fast alert profile, the projection to the
 * production windows (harness/detection/projection.ts), since the targets are about production.
 */
export function judgedTime(
  r: RunRecord,
  metric: 'mttd' | 'mttr',
): { ms: number | null; label: string; note: string; projected: boolean } {
  const measured = r.metrics[`${metric}Ms`];
  const projected = r.metrics[metric === 'mttd' ? 'projectedMttdMs' : 'projectedMttrMs'];
  const name = metric.toUpperCase();
  if (projected === undefined) return { ms: measured, label: name, note: '', projected: false };
  return {
    ms: projected,
    label: `${name} projected to production windows`,
    note: ` (measured ${fmtDuration(measured)} on fast windows)`,
    projected: true,
  };
}

/** The name every renderer has used; the same function as `judge`. */
export const verdictOf = judge;

/** An invocation passes when every run's verdict passes; the CLI turns this into its exit code. */
export const allPassed = (records: readonly RunRecord[]): boolean =>
  records.every((r) => judge(r).status === 'pass');

export type FindingKind =
  | 'failed'
  | 'timed-out'
  | 'not-runnable'
  | 'refused'
  | 'no-op'
  | 'worsened'
  | 'missing'
  | 'over-time-box'
  | 'forbidden';

export const FINDING_LABEL: Record<FindingKind, string> = {
  failed: 'step failed',
  'timed-out': 'step hung (timed out)',
  'not-runnable': 'not runnable here',
  refused: "refused as unsafe or out of the drill's scope",
  'no-op': 'ran but changed nothing',
  worsened: 'made health worse',
  missing: 'missing from runbook (extra step needed)',
  'over-time-box': 'exceeded its time box',
  forbidden: "outside the drill's permissions",
};

export interface Finding {
  readonly kind: FindingKind;
  readonly step: StepResult;
  /** Why, in a few words: the error, or the time box that was exceeded. */
  readonly detail: string;
}

/**
 * A diagnostic that failed the way the outage makes it fail, while the fault was in force
 * (curl exit 7/22 from a dead API, nc to a halted database, exec into a crash-looping pod),
 * did its job: it showed the outage. The executor marks it; it is evidence, not a finding.
 */
export const diagnosticSawOutage = (s: StepResult): boolean =>
  s.kind === 'diagnostic' && s.status === 'failed' && s.evidence === 'showed-outage';

/**
 * The API server's refusal in a step's output (kube steps act as a namespaced identity): the
 * step reached for something outside the drill namespace or its Role, e.g. `kubectl delete
 * namespace kube-system` or `kubectl get secrets -A`. Undefined when there is none.
 */
export function forbiddenLine(s: StepResult): string | undefined {
  if (s.execution !== 'shell') return undefined;
  const text = `${s.output}\n${s.error ?? ''}`;
  return text
    .split('\n')
    .find((l) => /Error from server \(Forbidden\)|\bis forbidden: User "/.test(l))
    ?.trim();
}

/** Runbook findings of one run: steps that failed, hung, could not run, did nothing, or were missing. */
export function findingsOf(r: RunRecord): Finding[] {
  const out: Finding[] = [];
  for (const step of r.steps) {
    const detail = step.error ?? (step.exitCode !== null ? `exit ${step.exitCode}` : '');
    if (step.kind === 'extra')
      out.push({ kind: 'missing', step, detail: step.comment ?? 'scenario-provided step' });
    const forbidden = forbiddenLine(step);
    // Even a step that hid the refusal (`|| true`) asked for more than a drill grants.
    if (forbidden) out.push({ kind: 'forbidden', step, detail: forbidden });
    else if (step.status === 'failed' && !diagnosticSawOutage(step))
      out.push({ kind: 'failed', step, detail });
    if (step.status === 'timed-out') out.push({ kind: 'timed-out', step, detail });
    // The step policy's refusals (harness/runbook/step-policy.ts) read "refused: ...".
    if (step.status === 'not-runnable')
      out.push({
        kind: step.error?.startsWith('refused: ') ? 'refused' : 'not-runnable',
        step,
        detail: step.error ?? '',
      });
    if (step.kind === 'remediation' && step.status === 'passed' && step.effect === 'no-change')
      out.push({ kind: 'no-op', step, detail: 'health unchanged after the step' });
    if (step.effect === 'worsened')
      out.push({ kind: 'worsened', step, detail: 'health got worse after the step' });
    if (step.timeBox && !step.timeBox.fitted)
      out.push({
        kind: 'over-time-box',
        step,
        detail: `took ${fmtDuration(step.durationMs)}, box ${fmtDuration(step.timeBox.fromMs)}–${fmtDuration(step.timeBox.toMs)}`,
      });
  }
  return out;
}

/** Where the step sits in the runbook, for a reader who wants to open the file at that line. */
export const stepLocation = (s: StepResult): string =>
  s.line !== undefined ? `L${s.line}` : 'not in runbook';

/** The outcome as a reader should read it: control and counterfactual runs say what they are. */
export function outcomeLabel(r: RunRecord): string {
  const kind = runKind(r);
  if (kind === 'control' && r.outcome !== 'aborted')
    return controlFired(r)
      ? `false positive — control run, nothing was broken (recorded outcome: ${r.outcome})`
      : 'quiet — control run, nothing was broken and nothing fired';
  if (kind === 'counterfactual') return `${r.outcome} — counterfactual run, remediation skipped on purpose`;
  return r.outcome;
}

export interface MetricRow {
  readonly metric: string;
  readonly measured: string;
  readonly target: string;
  /** Undefined: no target to compare with. */
  readonly met?: boolean | null;
}

/** "< 5.0 min (runbook, line 350)": the target and where it came from, when the record says. */
export function targetText(r: RunRecord, which: 'mttd' | 'mttr'): string {
  const ms = which === 'mttd' ? r.targets.mttdMs : r.targets.mttrMs;
  const src = r.targets.source;
  if (!src) return `< ${fmtDuration(ms)}`;
  const line = which === 'mttd' ? src.mttdLine : src.mttrLine;
  return `< ${fmtDuration(ms)} (${src[which]}${line !== undefined ? `, line ${line}` : ''})`;
}

/** The metrics table of one run. A control run has no fault to time, so it shows what fired instead. */
export function metricRows(r: RunRecord): MetricRow[] {
  const m = r.metrics;
  const impact = {
    metric: 'customer impact',
    measured: fmtDuration(m.customerImpactMs),
    target: 'no target in runbook',
  };
  if (runKind(r) === 'control')
    return [
      {
        metric: 'alerts fired',
        measured: r.alertsFired.length ? r.alertsFired.map((a) => a.alert).join(', ') : 'none',
        target: 'none (no fault injected)',
        met: r.outcome === 'aborted' ? null : !controlFired(r),
      },
      impact,
    ];
  // Fast windows: the measured row, then the projection the target is judged on.
  const timeRows = (metric: 'mttd' | 'mttr'): MetricRow[] => {
    const t = judgedTime(r, metric);
    const target = targetText(r, metric);
    const met = meetsTarget(t.ms, r.targets[`${metric}Ms`]);
    const name = metric.toUpperCase();
    if (!t.projected) return [{ metric: name, measured: fmtDuration(t.ms), target, met }];
    const w = r.alertWindows;
    const how = w
      ? ` (${w.alert}: for ${fmtDuration(w.forMs)} -> ${fmtDuration(w.productionForMs)}, floor ${fmtDuration(w.floorMs)} -> ${fmtDuration(w.productionFloorMs)})`
      : '';
    return [
      {
        metric: `${name} (measured, fast alert windows)`,
        measured: fmtDuration(m[`${metric}Ms`]),
        target: '—',
      },
      { metric: `${name} projected to production windows${how}`, measured: fmtDuration(t.ms), target, met },
    ];
  };
  return [
    ...timeRows('mttd'),
    ...pageRow(r),
    ...timeRows('mttr'),
    { metric: 'time to remediate', measured: fmtDuration(m.timeToRemediateMs), target: '—' },
    impact,
  ];
}

/**
 * MTTD to the page beside MTTD to `firing`, when the drill watched an Alertmanager: measured, not
 * projected (the user's Alertmanager grouping is the production one), and not judged: the
 * targets are the runbook's MTTD, which `firing` meets.
 */
const pageRow = (r: RunRecord): MetricRow[] =>
  r.metrics.mttdPageMs === undefined
    ? []
    : [
        {
          metric: 'MTTD to page (Alertmanager notification)',
          measured: fmtDuration(r.metrics.mttdPageMs),
          target: '—',
        },
      ];

/** Status cell text: the status, the exit code when it matters, and why a diagnostic's failure is fine. */
export function stepStatusText(s: StepResult): string {
  const exit = s.exitCode !== null && s.status !== 'passed' ? ` (exit ${s.exitCode})` : '';
  return `${s.status}${exit}${diagnosticSawOutage(s) ? ' — showed the outage' : ''}`;
}

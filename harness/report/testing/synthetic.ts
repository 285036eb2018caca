/**
 * Synthetic run records for report tests: each record is built from its timeline the way the
 * run loop builds a real one (metrics and outcome derived from events), then validated against
 * runRecordSchema, so a report test can never pass on data the harness could not produce.
 */

import { deriveMetrics, deriveOutcome, type Outcome } from '../../core/metrics.ts';
import type { Stamped, TimelineEvent } from '../../core/timeline.ts';
import type { Escalation } from '../escalation-triggers.ts';
import { RUN_RECORD_VERSION, type RunRecord, runRecordSchema, type StepResult } from '../record.ts';

export interface SyntheticStep {
  readonly command: string;
  readonly line?: number;
  readonly kind?: StepResult['kind'];
  readonly status?: StepResult['status'];
  readonly effect?: StepResult['effect'];
  readonly durationMs?: number;
  readonly output?: string;
  readonly error?: string;
  readonly timeBox?: StepResult['timeBox'];
  readonly evidence?: StepResult['evidence'];
}

export interface SyntheticRunSpec {
  readonly scenario?: string;
  readonly title?: string;
  readonly severity?: RunRecord['scenario']['severity'];
  readonly section?: string;
  readonly runId?: string;
  readonly startedAtMs: number;
  /**
   * The outcome to produce; the timeline is shaped so deriveOutcome() yields exactly this.
   * Control runs leave it out: theirs follows from whether any alert fired.
   */
  readonly outcome?: Outcome;
  readonly control?: boolean;
  readonly counterfactual?: boolean;
  readonly mttdMs?: number;
  readonly mttrMs?: number;
  readonly customerImpactMs?: number | null;
  readonly escalated?: boolean;
  /** Defaults to one escalation when escalated. */
  readonly escalations?: readonly Escalation[];
  /** Alerts seen firing; `expected` defaults to true for fault runs and false for control runs. */
  readonly alerts?: readonly { alert: string; expected?: boolean; afterMs?: number }[];
  readonly steps?: readonly SyntheticStep[];
  readonly targets?: { mttdMs: number; mttrMs: number };
  readonly observedSeverity?: RunRecord['observedSeverity'];
  readonly limitations?: readonly string[];
}

const PREFLIGHT_MS = 20_000;
const STEADY_MS = 10_000;
const REMEDIATION_DELAY_MS = 5_000;
const RESTORE_MS = 4_000;

const DEFAULT_STEPS: readonly SyntheticStep[] = [
  { command: 'kubectl get pods -n agent-agency -l app=agent-agency-postgres', line: 148, kind: 'diagnostic' },
  { command: 'kubectl rollout restart deployment/agent-agency-postgres -n agent-agency', line: 160 },
];

/** One valid run record. Throws if the spec cannot yield the requested outcome. */
export function syntheticRecord(spec: SyntheticRunSpec): RunRecord {
  const scenario = spec.scenario ?? 'db-outage';
  const control = spec.control ?? false;
  const events: Stamped[] = [];
  const t0 = { wallMs: spec.startedAtMs, monoMs: 1_000_000 };
  const at = (offsetMs: number) => ({ wallMs: t0.wallMs + offsetMs, monoMs: t0.monoMs + offsetMs });
  const add = (offsetMs: number, e: TimelineEvent) => events.push({ ...e, at: at(offsetMs) } as Stamped);

  add(0, { type: 'phase.start', phase: 'preflight' });
  if (!control && spec.outcome === undefined) throw new Error('a fault run needs an outcome');
  const aborted = spec.outcome === 'aborted';
  add(PREFLIGHT_MS, {
    type: 'phase.end',
    phase: 'preflight',
    ok: !aborted,
    ...(aborted ? { error: 'preflight failed' } : {}),
  });
  const inj = PREFLIGHT_MS + STEADY_MS;
  let end = PREFLIGHT_MS;
  const firedAlerts: RunRecord['alertsFired'] = [];
  const stepResults: StepResult[] = [];

  if (!aborted) {
    add(PREFLIGHT_MS, { type: 'phase.start', phase: 'steady-state' });
    add(inj, { type: 'phase.end', phase: 'steady-state', ok: true });
    // A control run injects the 'none' fault: the same anchor for the observation window.
    add(inj, { type: 'injected', fault: control ? 'none' : `synthetic-${scenario}` });
    const alerts =
      spec.alerts ??
      (spec.outcome !== 'not-detected' && !control ? [{ alert: 'APIHealthCheckFailure' }] : []);
    const detects = control ? alerts.length > 0 : spec.outcome !== 'not-detected';
    const mttd = spec.mttdMs ?? alerts[0]?.afterMs ?? 60_000;
    const mttr = spec.mttrMs ?? mttd + 120_000;
    add(inj, { type: 'phase.start', phase: 'detect' });
    for (const a of alerts) {
      const when = inj + (a.afterMs ?? mttd);
      add(when, { type: 'alert', alert: a.alert, source: 'probes', state: 'firing' });
      firedAlerts.push({ alert: a.alert, expected: a.expected ?? !control, firstAtWallMs: at(when).wallMs });
    }
    if (detects)
      add(inj + mttd, {
        type: 'detected',
        alert: alerts[0]?.alert ?? 'APIHealthCheckFailure',
        source: 'probes',
      });
    // For a control run, a quiet detect phase is the good result.
    add(inj + mttd, { type: 'phase.end', phase: 'detect', ok: control ? !detects : detects });
    end = inj + mttd;

    // A counterfactual run skips remediation on purpose; its outcome is whatever the system does alone.
    const remediates =
      !control &&
      !spec.counterfactual &&
      (spec.outcome === 'resolved-by-runbook' ||
        spec.outcome === 'resolved-with-extra-steps' ||
        spec.outcome === 'unresolved');
    if (spec.outcome === 'self-healed') add(inj + mttr, { type: 'recovered' });
    if (remediates) {
      let cursor = inj + mttd + REMEDIATION_DELAY_MS;
      add(cursor, { type: 'phase.start', phase: 'remediate' });
      add(cursor, { type: 'remediation.started' });
      const steps = spec.steps ?? withOutcomeSteps(spec.outcome ?? 'unresolved');
      steps.forEach((s, i) => {
        const id = `step-${i + 1}`;
        const extra = s.kind === 'extra';
        const status = s.status ?? 'passed';
        const durationMs = s.durationMs ?? 2_000;
        add(cursor, { type: 'step.start', stepId: id, title: s.command, extra });
        add(cursor + durationMs, { type: 'step.end', stepId: id, status });
        stepResults.push(stepResult(id, s, spec.section, status, durationMs));
        cursor += durationMs;
      });
      add(cursor, { type: 'phase.end', phase: 'remediate', ok: spec.outcome !== 'unresolved' });
      if (spec.outcome !== 'unresolved') add(Math.max(inj + mttr, cursor), { type: 'recovered' });
      end = Math.max(cursor, spec.outcome === 'unresolved' ? cursor : inj + mttr);
    } else if (spec.outcome === 'self-healed') {
      end = Math.max(end, inj + mttr);
    }
  }

  add(end, { type: 'phase.start', phase: 'restore' });
  if (!aborted) add(end + RESTORE_MS / 2, { type: 'reverted', what: `synthetic-${scenario}`, ok: true });
  add(end + RESTORE_MS, { type: 'phase.end', phase: 'restore', ok: true });

  const metrics = deriveMetrics(events);
  const outcome = deriveOutcome(events, { aborted });
  if (spec.outcome !== undefined && outcome !== spec.outcome)
    throw new Error(`synthetic spec yields ${outcome}, not ${spec.outcome}`);
  const targets = spec.targets ?? { mttdMs: 5 * 60_000, mttrMs: 30 * 60_000 };
  const met = (v: number | null, t: number) => v === null || v < t;
  const fired = spec.escalations ?? (spec.escalated ? [defaultEscalation(outcome, metrics, targets)] : []);
  const record = {
    version: RUN_RECORD_VERSION,
    runId: spec.runId ?? `${scenario}-${new Date(spec.startedAtMs).toISOString().replace(/[-:.]/g, '')}`,
    scenario: {
      name: scenario,
      title: spec.title ?? titleOf(scenario),
      severity: spec.severity ?? 'critical',
    },
    control,
    counterfactual: spec.counterfactual ?? false,
    platform: 'memory',
    detectionSource: 'probes',
    runbook: {
      file: 'fixtures/runbook/agent-agency-outage.md',
      section: spec.section ?? 'Scenario 2: Database Connection Issues',
    },
    startedAt: new Date(spec.startedAtMs).toISOString(),
    finishedAt: new Date(spec.startedAtMs + end + RESTORE_MS).toISOString(),
    outcome,
    ...(aborted ? { abortReason: 'preflight failed: orchestrator /health returned 503' } : {}),
    metrics: {
      ...metrics,
      customerImpactMs: spec.customerImpactMs === undefined ? metrics.mttrMs : spec.customerImpactMs,
    },
    targets,
    targetsMet: met(metrics.mttdMs, targets.mttdMs) && met(metrics.mttrMs, targets.mttrMs),
    observedSeverity: spec.observedSeverity ?? (control || aborted ? 'none' : 'critical'),
    escalated: spec.escalated ?? false,
    escalationReasons: fired.map((e) => e.reason),
    escalations: fired,
    alertsFired: firedAlerts,
    steps: stepResults,
    restore: { ok: true, reverted: aborted ? [] : [`synthetic-${scenario}`], errors: [] },
    timeline: events,
    limitations: [...(spec.limitations ?? [])],
  };
  return runRecordSchema.parse(record);
}

/** Worded as harness/run/escalation.ts words it, so readers of the reasons see real ones. */
function defaultEscalation(
  outcome: Outcome,
  metrics: { mttrMs: number | null },
  targets: { mttrMs: number },
): Escalation {
  if (outcome === 'unresolved' || metrics.mttrMs === null)
    return { trigger: 'unresolved', reason: 'outage not resolved by the runbook within the drill' };
  const reason = `outage lasted ${Math.round(metrics.mttrMs / 60_000)} min, past the ${Math.round(targets.mttrMs / 60_000)} min threshold`;
  return { trigger: 'outage-duration', reason };
}

function withOutcomeSteps(outcome: Outcome): SyntheticStep[] {
  if (outcome === 'resolved-with-extra-steps')
    return [...DEFAULT_STEPS, { command: 'scale agent-agency-postgres to 1 replica', kind: 'extra' }];
  if (outcome === 'unresolved')
    return [
      DEFAULT_STEPS[0]!,
      { ...DEFAULT_STEPS[1]!, status: 'failed', error: 'deployments.apps not found' },
    ];
  return [...DEFAULT_STEPS];
}

function stepResult(
  id: string,
  s: SyntheticStep,
  section: string | undefined,
  status: StepResult['status'],
  durationMs: number,
): StepResult {
  const kind = s.kind ?? 'remediation';
  return {
    id,
    section: section ?? 'Scenario 2: Database Connection Issues',
    kind,
    command: s.command,
    ...(s.line !== undefined ? { line: s.line } : {}),
    ...(kind === 'extra' ? { comment: `the runbook has no step for this: ${s.command}` } : {}),
    status,
    exitCode: status === 'passed' ? 0 : status === 'failed' ? 1 : null,
    durationMs,
    output: s.output ?? (status === 'passed' ? 'ok' : ''),
    ...(s.error !== undefined ? { error: s.error } : {}),
    execution: status === 'not-runnable' ? 'none' : 'shell',
    ...(s.timeBox ? { timeBox: s.timeBox } : {}),
    ...(s.evidence ? { evidence: s.evidence } : {}),
    effect: s.effect ?? (kind === 'remediation' && status === 'passed' ? 'restored-health' : 'not-checked'),
  };
}

const titleOf = (name: string) => name.replace(/-/g, ' ').replace(/^./, (c) => c.toUpperCase());

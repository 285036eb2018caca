/**
 * A quarter of nightly drills, generated deterministically from a seed: five scenarios in
 * rotation with repeats, daily control runs (some with false positives), a few counterfactual
 * runs, and every outcome at least once. Used to exercise the renderers end to end; the math
 * tests use small hand-built histories instead.
 */
import type { Outcome } from '../../core/metrics.ts';
import type { RunRecord } from '../record.ts';
import { type SyntheticStep, syntheticRecord } from './synthetic.ts';

const DAY_MS = 86_400_000;
const MIN_MS = 60_000;

/** Small deterministic PRNG (mulberry32): the same seed always yields the same history. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface ScenarioProfile {
  readonly name: string;
  readonly title: string;
  readonly severity: RunRecord['scenario']['severity'];
  readonly section: string;
  /** Outcome weights; the generator draws from them. */
  readonly outcomes: Partial<Record<Outcome, number>>;
  readonly mttdMs: [number, number];
  readonly mttrMs: [number, number];
  /** MTTR grows by this factor from the first to the last day (a regression to spot in the trend). */
  readonly mttrDrift?: number;
  readonly steps: readonly SyntheticStep[];
}

const HOSTILE_OUTPUT = 'NAME READY <none> & "quoted" | piped <script>alert("x")</script>';

export const SYNTHETIC_SCENARIOS: readonly ScenarioProfile[] = [
  {
    name: 'db-outage',
    title: 'Database connection loss',
    severity: 'critical',
    section: 'Scenario 2: Database Connection Issues',
    outcomes: { 'resolved-by-runbook': 8, unresolved: 1 },
    mttdMs: [40_000, 150_000],
    mttrMs: [3 * MIN_MS, 9 * MIN_MS],
    steps: [
      {
        command: 'kubectl get pods -n agent-agency -l app=agent-agency-postgres',
        line: 148,
        kind: 'diagnostic',
        output: HOSTILE_OUTPUT,
      },
      {
        command:
          'kubectl exec -it deployment/agent-agency-orchestrator -n agent-agency -- nc -zv agent-agency-postgres 5432',
        line: 154,
        kind: 'diagnostic',
        status: 'failed',
        // Markup-like text in an error reaches the findings tables: renderers must escape it.
        error: `exec: "nc": executable file not found in $PATH; ${HOSTILE_OUTPUT}`,
      },
      { command: 'kubectl rollout restart deployment/agent-agency-postgres -n agent-agency', line: 160 },
    ],
  },
  {
    name: 'crash-loop',
    title: 'Orchestrator crash loop after a bad config rollout',
    severity: 'critical',
    section: 'Scenario 1: Pod Crash Loop',
    outcomes: { 'resolved-with-extra-steps': 6, 'self-healed': 1, 'resolved-by-runbook': 1 },
    mttdMs: [60_000, 200_000],
    mttrMs: [6 * MIN_MS, 14 * MIN_MS],
    steps: [
      {
        command: 'kubectl logs deployment/agent-agency-orchestrator -n agent-agency --previous',
        line: 127,
        kind: 'diagnostic',
      },
      {
        command: 'kubectl scale deployment agent-agency-orchestrator --replicas=0 -n agent-agency',
        line: 133,
        effect: 'worsened',
      },
      {
        command: 'kubectl scale deployment agent-agency-orchestrator --replicas=3 -n agent-agency',
        line: 138,
        effect: 'no-change',
      },
      { command: 'roll back the orchestrator config (kubectl rollout undo)', kind: 'extra' },
    ],
  },
  {
    name: 'llm-rate-limit',
    title: 'LLM API rate limiting',
    severity: 'high',
    section: 'Scenario 3: External API Rate Limiting',
    outcomes: { 'resolved-by-runbook': 7, 'resolved-with-extra-steps': 1 },
    mttdMs: [90_000, 260_000],
    mttrMs: [8 * MIN_MS, 20 * MIN_MS],
    steps: [
      { command: 'kubectl get secrets -n agent-agency', line: 170, kind: 'diagnostic' },
      {
        command: 'kubectl set env deployment/agent-agency-council RETRY_ENABLED=true -n agent-agency',
        line: 173,
        effect: 'no-change',
      },
      { command: 'kubectl scale deployment/agent-agency-council --replicas=1 -n agent-agency', line: 176 },
      {
        command:
          'aws cloudwatch get-metric-statistics --namespace AgentAgency --metric-name ExternalAPIRequests',
        line: 180,
        kind: 'diagnostic',
        status: 'not-runnable',
        error: 'aws CLI steps cannot run against a drill cluster',
      },
    ],
  },
  {
    name: 'resource-exhaustion',
    title: 'Orchestrator memory exhaustion (OOMKilled)',
    severity: 'high',
    section: 'Scenario 4: Resource Exhaustion',
    outcomes: { 'resolved-by-runbook': 6, unresolved: 2 },
    mttdMs: [50_000, 180_000],
    mttrMs: [10 * MIN_MS, 22 * MIN_MS],
    mttrDrift: 1.6,
    steps: [
      {
        command: 'kubectl top pods -n agent-agency',
        line: 195,
        kind: 'diagnostic',
        status: 'failed',
        error: 'error: Metrics API not available',
      },
      {
        command:
          'kubectl set resources deployment/agent-agency-orchestrator --limits=cpu=4,memory=8Gi --requests=cpu=2,memory=4Gi -n agent-agency',
        line: 202,
      },
      {
        command: 'kubectl scale deployment/agent-agency-orchestrator --replicas=5 -n agent-agency',
        line: 207,
        effect: 'no-change',
      },
    ],
  },
  {
    name: 'network-partition',
    title: 'Orchestrator cut off from its dependencies',
    severity: 'medium',
    section: 'Scenario 5: Network Issues',
    outcomes: { 'resolved-with-extra-steps': 5, 'not-detected': 2, 'resolved-by-runbook': 1 },
    mttdMs: [120_000, 420_000],
    mttrMs: [9 * MIN_MS, 26 * MIN_MS],
    steps: [
      {
        command: 'kubectl get networkpolicies -n agent-agency',
        line: 222,
        kind: 'diagnostic',
        timeBox: { fromMs: 0, toMs: 2 * MIN_MS, fitted: false },
      },
      {
        command: 'kubectl rollout restart deployment/agent-agency-orchestrator -n agent-agency',
        line: 225,
        effect: 'no-change',
      },
      { command: 'remove the deny-all network policy', kind: 'extra' },
    ],
  },
];

/** Every outcome, forced on the first days so coverage does not depend on the dice. */
const COVERAGE: readonly [string, Outcome][] = [
  ['db-outage', 'resolved-by-runbook'],
  ['crash-loop', 'resolved-with-extra-steps'],
  ['crash-loop', 'self-healed'],
  ['resource-exhaustion', 'unresolved'],
  ['network-partition', 'not-detected'],
  ['db-outage', 'aborted'],
];

const FALSE_POSITIVE_ALERTS = ['APIResponseTimeDegraded', 'APIErrorRateHigh'];

export interface HistoryOptions {
  readonly startMs: number;
  readonly days?: number;
  readonly seed?: number;
}

export function syntheticHistory(opts: HistoryOptions): RunRecord[] {
  const days = opts.days ?? 91;
  const rnd = seededRandom(opts.seed ?? 42);
  const between = ([lo, hi]: [number, number]) => Math.round(lo + rnd() * (hi - lo));
  const out: RunRecord[] = [];

  const fault = (p: ScenarioProfile, startedAtMs: number, outcome: Outcome, day: number, repeat: number) => {
    const drift = 1 + ((p.mttrDrift ?? 1) - 1) * (day / days);
    const mttdMs = between(p.mttdMs);
    const healed = outcome === 'self-healed';
    const mttrMs = healed
      ? Math.min(mttdMs, 90_000) + 30_000
      : Math.max(mttdMs + 60_000, Math.round(between(p.mttrMs) * drift));
    out.push(
      syntheticRecord({
        scenario: p.name,
        title: p.title,
        severity: p.severity,
        section: p.section,
        runId: `${p.name}-d${String(day).padStart(2, '0')}-r${repeat}`,
        startedAtMs,
        outcome,
        mttdMs: healed ? Math.min(mttdMs, 90_000) : mttdMs,
        mttrMs,
        customerImpactMs:
          outcome === 'aborted' ? null : outcome === 'not-detected' ? between([60_000, 300_000]) : mttrMs,
        escalated: mttrMs > 20 * MIN_MS || outcome === 'unresolved',
        steps: stepsFor(p, outcome),
        observedSeverity: p.severity,
      }),
    );
  };

  COVERAGE.forEach(([name, outcome], i) => {
    const p = SYNTHETIC_SCENARIOS.find((s) => s.name === name)!;
    fault(p, opts.startMs + 3_600_000 * (i + 1), outcome, 0, i + 1);
  });

  for (let day = 1; day < days; day++) {
    const nightly = opts.startMs + day * DAY_MS + 2 * 3_600_000;
    const p = SYNTHETIC_SCENARIOS[day % SYNTHETIC_SCENARIOS.length]!;
    const repeats = day % 7 === 3 ? 3 : 1;
    for (let r = 1; r <= repeats; r++)
      fault(p, nightly + (r - 1) * 20 * MIN_MS, draw(p.outcomes, rnd), day, r);
    if (day % 30 === 15) fault(p, nightly + 2 * 3_600_000, 'unresolved', day, 9);

    const falsePositive = rnd() < 0.08;
    out.push(
      syntheticRecord({
        scenario: 'control',
        title: 'Steady state, no fault',
        control: true,
        runId: `control-d${String(day).padStart(2, '0')}`,
        startedAtMs: nightly - 3_600_000,
        alerts: falsePositive ? [{ alert: FALSE_POSITIVE_ALERTS[day % 2]!, afterMs: 150_000 }] : [],
        customerImpactMs: 0,
      }),
    );
  }
  // Counterfactual runs: the same fault without remediation, to show whether the runbook was needed.
  out.push(
    syntheticRecord({
      scenario: 'crash-loop',
      runId: 'crash-loop-counterfactual',
      startedAtMs: opts.startMs + 40 * DAY_MS,
      outcome: 'unresolved',
      counterfactual: true,
      limitations: ['counterfactual: remediation skipped on purpose'],
    }),
  );
  return out.sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
}

function stepsFor(p: ScenarioProfile, outcome: Outcome): readonly SyntheticStep[] {
  if (outcome === 'resolved-by-runbook') return p.steps.filter((s) => s.kind !== 'extra');
  if (outcome === 'resolved-with-extra-steps' && !p.steps.some((s) => s.kind === 'extra'))
    return [...p.steps, { command: 'wait for the provider quota to reset', kind: 'extra' }];
  return p.steps;
}

function draw(weights: Partial<Record<Outcome, number>>, rnd: () => number): Outcome {
  const entries = Object.entries(weights) as [Outcome, number][];
  const total = entries.reduce((s, [, w]) => s + w, 0);
  let x = rnd() * total;
  for (const [o, w] of entries) {
    x -= w;
    if (x < 0) return o;
  }
  return entries[0]![0];
}

/**
 * JUnit XML for CI, shaped so a test reporter's history holds across nights:
 * - one <testcase> per scenario and kind of run, classname `firedrill.<scenario>`, name
 *   `<platform>/<profile>` (plus ` control` / ` counterfactual`): `--repeat 3` or `--repeat 5`
 *   give the same case, with the runs' distribution (n, MTTD/MTTR mean/p50/p95/min/max) and
 *   outcomes as properties; it fails when any of its runs fails, an aborted run is an <error>;
 * - one <testcase> per executed runbook step, classname `firedrill.<scenario>.runbook`, name
 *   `<file>:<line> <command>`: a step with a finding fails with the finding and its file:line,
 *   so a CI reporter lists the runbook's broken lines, not only a red drill.
 * The layout follows the Ant/Jenkins JUnit format; tests validate it against junit.xsd.
 */
import { hostname } from 'node:os';
import { basename } from 'node:path';
import { distribution } from '../core/metrics.ts';
import type { StepResult } from '../runbook/step-result.ts';
import { fmtDuration, fmtSeconds, escapeXml as x } from './format.ts';
import type { RunRecord } from './record.ts';
import { stepFindingsText } from './step-findings.ts';
import {
  FINDING_LABEL,
  type Finding,
  findingsOf,
  judge,
  runKind,
  stepLocation,
  type Verdict,
} from './verdict.ts';

export interface JUnitOptions {
  /** Suite name; defaults to "firedrill". */
  readonly suiteName?: string;
  /** Defaults to this machine's host name. */
  readonly hostname?: string;
}

const runDurationMs = (r: RunRecord) => Math.max(0, Date.parse(r.finishedAt) - Date.parse(r.startedAt));

/** Ant's schema wants a timestamp without zone or fraction; it is UTC by construction here. */
const antTimestamp = (iso: string) => new Date(iso).toISOString().slice(0, 19);

/** The stable name of a scenario's case: where and how it ran, never how many times. */
export function caseName(r: RunRecord): string {
  const kind = runKind(r);
  return `${r.platform}/${r.alertProfile ?? 'fast'}${kind === 'fault' ? '' : ` ${kind}`}`;
}

interface Case {
  readonly classname: string;
  readonly name: string;
  readonly timeMs: number;
  readonly properties: readonly (readonly [string, string])[];
  readonly problem?: {
    readonly tag: 'failure' | 'error';
    readonly type: string;
    readonly message: string;
    readonly body: string;
  };
  readonly out: string;
}

export function renderJUnit(records: readonly RunRecord[], opts: JUnitOptions = {}): string {
  const suite = opts.suiteName ?? 'firedrill';
  const cases = [...scenarioCases(records), ...stepCases(records)];
  const failures = cases.filter((c) => c.problem?.tag === 'failure').length;
  const errors = cases.filter((c) => c.problem?.tag === 'error').length;
  const totalMs = records.reduce((s, r) => s + runDurationMs(r), 0);
  const first = records[0];
  const props: [string, string][] = first
    ? [
        ['platform', first.platform],
        ['alertProfile', first.alertProfile ?? 'fast'],
        ['detectionSource', first.detectionSource],
        ['runbook', `${first.runbook.file}`],
        ['runIds', records.map((r) => r.runId).join(' ')],
      ]
    : [];
  const counters = `tests="${cases.length}" failures="${failures}" errors="${errors}"`;
  const runs = records.map(judge);
  const passed = runs.filter((v) => v.status === 'pass').length;
  const failed = runs.filter((v) => v.status === 'failure').length;
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="${x(suite)}" ${counters} time="${fmtSeconds(totalMs)}">
  <testsuite name="${x(suite)}" ${counters} skipped="0" time="${fmtSeconds(totalMs)}" timestamp="${first ? antTimestamp(first.startedAt) : antTimestamp(new Date(0).toISOString())}" hostname="${x(opts.hostname ?? hostname())}" id="0" package="firedrill">
${propertiesXml(props, '    ')}
${cases.map(caseXml).join('\n')}
    <system-out>${x(`${records.length} runs: ${passed} passed, ${failed} failed, ${records.length - passed - failed} aborted`)}</system-out>
    <system-err></system-err>
  </testsuite>
</testsuites>
`;
}

function propertiesXml(props: readonly (readonly [string, string])[], indent: string): string {
  const lines = props.map(([n, v]) => `${indent}  <property name="${x(n)}" value="${x(v)}"/>`);
  return `${indent}<properties>\n${lines.join('\n')}${lines.length ? '\n' : ''}${indent}</properties>`;
}

function caseXml(c: Case): string {
  const attrs = `classname="${x(c.classname)}" name="${x(c.name)}" time="${fmtSeconds(c.timeMs)}"`;
  const problem = c.problem
    ? `\n      <${c.problem.tag} type="${x(c.problem.type)}" message="${x(c.problem.message)}">${x(c.problem.body)}</${c.problem.tag}>`
    : '';
  return `    <testcase ${attrs}>\n${propertiesXml(c.properties, '      ')}${problem}\n      <system-out>${x(c.out)}</system-out>\n    </testcase>`;
}

/** One case per scenario and kind of run, in the order they first ran. */
function scenarioCases(records: readonly RunRecord[]): Case[] {
  const groups = new Map<string, RunRecord[]>();
  for (const r of records) {
    const key = `${r.scenario.name}\u0000${caseName(r)}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((runs) => {
    const verdicts = runs.map(judge);
    const n = runs.length;
    const label = (i: number) => (n > 1 ? `run ${i + 1} of ${n}: ` : '');
    const bad = verdicts.flatMap((v, i) => (v.status === 'pass' ? [] : [{ v, i, r: runs[i]! }]));
    const errorOnly = bad.length > 0 && bad.every((b) => b.v.status === 'error');
    const message = bad.map((b) => `${label(b.i)}${b.v.reasons.join('; ')}`).join(' | ');
    return {
      classname: `firedrill.${runs[0]!.scenario.name}`,
      name: caseName(runs[0]!),
      timeMs: runs.reduce((s, r) => s + runDurationMs(r), 0),
      properties: runProperties(runs),
      ...(bad.length
        ? {
            problem: {
              tag: errorOnly ? ('error' as const) : ('failure' as const),
              type: errorOnly ? 'aborted' : failureType(bad.filter((b) => b.v.status === 'failure')),
              message,
              body: message.split(' | ').join('\n'),
            },
          }
        : {}),
      out: runs.map(stepSummary).join('\n\n'),
    };
  });
}

/** Outcome, MTTD and MTTR for one run; their distribution over the repeats of a case. */
function runProperties(runs: readonly RunRecord[]): [string, string][] {
  const outcomes = new Map<string, number>();
  for (const r of runs) outcomes.set(r.outcome, (outcomes.get(r.outcome) ?? 0) + 1);
  const props: [string, string][] = [
    ['runs', String(runs.length)],
    [
      'outcome',
      runs.length === 1 ? runs[0]!.outcome : [...outcomes].map(([o, k]) => `${o} x${k}`).join(', '),
    ],
    ['targetMttdMs', String(runs[0]!.targets.mttdMs)],
    ['targetMttrMs', String(runs[0]!.targets.mttrMs)],
  ];
  const paging = runs.filter((r) => r.metrics.mttdPageMs !== undefined);
  for (const [metric, values] of [
    ['mttd', runs.map((r) => r.metrics.mttdMs)],
    ['mttr', runs.map((r) => r.metrics.mttrMs)],
    // only runs that watched an Alertmanager (`--alertmanager-url`) have a page to time
    ...(paging.length ? [['mttdPage', paging.map((r) => r.metrics.mttdPageMs ?? null)] as const] : []),
  ] as const) {
    const d = distribution(values);
    props.push([`${metric}.n`, String(d.n)]);
    if (runs.length === 1) {
      if (d.mean !== null) props.push([`${metric}Ms`, d.mean.toFixed(0)]);
      continue;
    }
    for (const stat of ['mean', 'p50', 'p95', 'min', 'max'] as const) {
      const v = d[stat];
      if (v !== null) props.push([`${metric}.${stat}Ms`, v.toFixed(0)]);
    }
  }
  return props;
}

function failureType(bad: readonly { r: RunRecord; v: Verdict }[]): string {
  if (bad.some((b) => runKind(b.r) === 'control')) return 'false-positive';
  return bad.some((b) => b.v.reasons.some((s) => s.startsWith('outcome') || s.startsWith('runbook did not')))
    ? 'outcome'
    : 'target-missed';
}

/**
 * One case per runbook step the runs executed; the repeats of one step are one case (its
 * name is the step's place in the runbook, which --repeat does not change). Steps the scenario
 * supplied are not the runbook's: they are in the scenario case's output, not here.
 */
function stepCases(records: readonly RunRecord[]): Case[] {
  const groups = new Map<string, { r: RunRecord; s: StepResult; findings: Finding[] }[]>();
  for (const r of records) {
    const findings = findingsOf(r);
    for (const s of r.steps.filter((st) => st.kind !== 'extra')) {
      const key = `${r.scenario.name}\u0000${r.runbook.file}\u0000${s.line ?? '?'}\u0000${s.command}`;
      groups.set(key, [...(groups.get(key) ?? []), { r, s, findings: findings.filter((f) => f.step === s) }]);
    }
  }
  return [...groups.values()].map((runs) => {
    const { r, s } = runs[0]!;
    const label = (i: number) => (runs.length > 1 ? `run ${i + 1} of ${runs.length}: ` : '');
    const problems = runs.flatMap((run, i) =>
      stepProblems(run.r, run.s, run.findings).map((p) => ({ ...p, text: `${label(i)}${p.text}` })),
    );
    const first = problems[0];
    const statuses = runs.map((run) => run.s.status);
    return {
      classname: `firedrill.${r.scenario.name}.runbook`,
      name: `${basename(r.runbook.file)}:${s.line ?? '?'} ${firstLine(s.command)}`,
      timeMs: runs.reduce((t, run) => t + run.s.durationMs, 0),
      properties: [
        ['runs', String(runs.length)],
        ['status', [...new Set(statuses)].join(', ')],
        ['kind', s.kind],
        ['effect', [...new Set(runs.map((run) => run.s.effect))].join(', ')],
        ...(s.evidence ? ([['evidence', s.evidence]] as [string, string][]) : []),
      ],
      ...(first
        ? {
            problem: {
              tag: 'failure' as const,
              type: first.type,
              message: first.text,
              body: problems.map((p) => p.text).join('\n'),
            },
          }
        : {}),
      out: runs
        .map((run) =>
          [
            `[${run.s.status}] ${stepLocation(run.s)} ${run.s.command}`,
            ...(run.s.output ? [run.s.output] : []),
            ...stepNotes(run.r, run.s),
          ].join('\n'),
        )
        .join('\n\n'),
    };
  });
}

const atLine = (r: RunRecord, s: StepResult, line?: number) => `${r.runbook.file}:${line ?? s.line ?? '?'}`;

/** What fails a step's case: its own findings, and lint or emulation findings above a note. */
function stepProblems(r: RunRecord, s: StepResult, findings: readonly Finding[]) {
  return [
    ...findings.map((f) => ({
      type: f.kind as string,
      text: `${atLine(r, s)}: ${FINDING_LABEL[f.kind]}${f.detail ? `: ${f.detail}` : ''}`,
    })),
    ...(s.findings ?? [])
      .filter((f) => f.severity !== 'info')
      .map((f) => ({ type: f.rule ?? f.kind, text: `${atLine(r, s, f.line)}: ${f.message}` })),
  ];
}

const stepNotes = (r: RunRecord, s: StepResult) =>
  (s.findings ?? []).filter((f) => f.severity === 'info').map((f) => `${atLine(r, s, f.line)}: ${f.message}`);

const firstLine = (command: string) => {
  const line = command.split('\n')[0]!.trim();
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
};

/** What a CI reader needs without opening the HTML: outcome, metrics, each step, findings. */
function stepSummary(r: RunRecord): string {
  const lines = [
    `run ${r.runId} (${runKind(r)} run): outcome ${r.outcome}`,
    `MTTD ${fmtDuration(r.metrics.mttdMs)} (target < ${fmtDuration(r.targets.mttdMs)}), MTTR ${fmtDuration(r.metrics.mttrMs)} (target < ${fmtDuration(r.targets.mttrMs)})`,
    `runbook ${r.runbook.file} § ${r.runbook.section}`,
  ];
  for (const s of r.steps as StepResult[])
    lines.push(
      `  [${s.status}] ${stepLocation(s)} ${s.command} (${fmtDuration(s.durationMs)}, effect ${s.effect})`,
    );
  for (const f of findingsOf(r))
    lines.push(`finding: ${FINDING_LABEL[f.kind]} (${stepLocation(f.step)}): ${f.step.command}`);
  lines.push(...stepFindingsText(r));
  if (!r.restore.ok) lines.push(`restore incomplete: ${r.restore.errors.join('; ')}`);
  return lines.join('\n');
}

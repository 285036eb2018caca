/**
 * JUnit XML for CI: one <testsuite> per invocation, one <testcase> per scenario run.
 * A fault run fails when a target is missed or the outcome is not resolved; a control run
 * fails when anything fired; an aborted run is an <error> (no verdict, not a bad verdict).
 * The layout follows the Ant/Jenkins JUnit format; tests validate it against junit.xsd.
 */
import { hostname } from 'node:os';
import { fmtDuration, fmtSeconds, escapeXml as x } from './format.ts';
import type { RunRecord } from './record.ts';
import { stepFindingsText } from './step-findings.ts';
import { FINDING_LABEL, findingsOf, runKind, stepLocation, verdictOf } from './verdict.ts';

export interface JUnitOptions {
  /** Suite name; defaults to "firedrill". */
  readonly suiteName?: string;
  /** Defaults to this machine's host name. */
  readonly hostname?: string;
}

const runDurationMs = (r: RunRecord) => Math.max(0, Date.parse(r.finishedAt) - Date.parse(r.startedAt));

/** Ant's schema wants a timestamp without zone or fraction; it is UTC by construction here. */
const antTimestamp = (iso: string) => new Date(iso).toISOString().slice(0, 19);

export function renderJUnit(records: readonly RunRecord[], opts: JUnitOptions = {}): string {
  const suite = opts.suiteName ?? 'firedrill';
  const verdicts = records.map(verdictOf);
  const failures = verdicts.filter((v) => v.status === 'failure').length;
  const errors = verdicts.filter((v) => v.status === 'error').length;
  const totalMs = records.reduce((s, r) => s + runDurationMs(r), 0);
  const counts = new Map<string, number>();
  const totals = new Map<string, number>();
  for (const r of records) totals.set(r.scenario.name, (totals.get(r.scenario.name) ?? 0) + 1);

  const cases = records.map((r, i) => {
    const k = (counts.get(r.scenario.name) ?? 0) + 1;
    counts.set(r.scenario.name, k);
    const v = verdicts[i]!;
    const name = `run ${k} of ${totals.get(r.scenario.name)}`;
    const attrs = `classname="firedrill.${x(r.scenario.name)}" name="${x(name)}" time="${fmtSeconds(runDurationMs(r))}"`;
    let verdictXml = '';
    if (v.status !== 'pass') {
      const tag = v.status === 'error' ? 'error' : 'failure';
      const type = v.status === 'error' ? 'aborted' : failureType(r, v.reasons);
      verdictXml = `\n      <${tag} type="${type}" message="${x(v.reasons.join('; '))}">${x(v.reasons.join('\n'))}</${tag}>`;
    }
    return `    <testcase ${attrs}>${verdictXml}\n      <system-out>${x(stepSummary(r))}</system-out>\n    </testcase>`;
  });

  const first = records[0];
  const props = first
    ? [
        ['platform', first.platform],
        ['detectionSource', first.detectionSource],
        ['runbook', `${first.runbook.file}`],
        ['runIds', records.map((r) => r.runId).join(' ')],
      ]
    : [];
  const counters = `tests="${records.length}" failures="${failures}" errors="${errors}"`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="${x(suite)}" ${counters} time="${fmtSeconds(totalMs)}">
  <testsuite name="${x(suite)}" ${counters} skipped="0" time="${fmtSeconds(totalMs)}" timestamp="${first ? antTimestamp(first.startedAt) : antTimestamp(new Date(0).toISOString())}" hostname="${x(opts.hostname ?? hostname())}" id="0" package="firedrill">
    <properties>
${props.map(([n, val]) => `      <property name="${x(n!)}" value="${x(val!)}"/>`).join('\n')}
    </properties>
${cases.join('\n')}
    <system-out>${x(`${records.length} runs: ${records.length - failures - errors} passed, ${failures} failed, ${errors} aborted`)}</system-out>
    <system-err></system-err>
  </testsuite>
</testsuites>
`;
}

function failureType(r: RunRecord, reasons: readonly string[]): string {
  if (runKind(r) === 'control') return 'false-positive';
  return reasons.some((s) => s.startsWith('outcome') || s.startsWith('runbook did not resolve'))
    ? 'outcome'
    : 'target-missed';
}

/** What a CI reader needs without opening the HTML: outcome, metrics, each step, findings. */
function stepSummary(r: RunRecord): string {
  const lines = [
    `run ${r.runId} (${runKind(r)} run): outcome ${r.outcome}`,
    `MTTD ${fmtDuration(r.metrics.mttdMs)} (target < ${fmtDuration(r.targets.mttdMs)}), MTTR ${fmtDuration(r.metrics.mttrMs)} (target < ${fmtDuration(r.targets.mttrMs)})`,
    `runbook ${r.runbook.file} § ${r.runbook.section}`,
  ];
  for (const s of r.steps)
    lines.push(
      `  [${s.status}] ${stepLocation(s)} ${s.command} (${fmtDuration(s.durationMs)}, effect ${s.effect})`,
    );
  for (const f of findingsOf(r))
    lines.push(`finding: ${FINDING_LABEL[f.kind]} (${stepLocation(f.step)}): ${f.step.command}`);
  lines.push(...stepFindingsText(r));
  if (!r.restore.ok) lines.push(`restore incomplete: ${r.restore.errors.join('; ')}`);
  return lines.join('\n');
}

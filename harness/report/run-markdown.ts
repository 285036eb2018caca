/**
 * Markdown for one invocation: the page a developer reads in the terminal, in a PR, or in the
 * GitHub Actions step summary. Everything comes from the run records; text from a record
 * (commands, output, errors) is escaped so it cannot turn into markup.
 */
import type { Distribution } from '../core/metrics.ts';
import { excerpt, fmtDuration, fmtWall, mark, mdCell, mdCode, mdTable } from './format.ts';
import { headline } from './headline.ts';
import { controlLine, invocationTitle, outcomeCounts, summarizeInvocation } from './invocation.ts';
import type { RunRecord } from './record.ts';
import { patchMarkdown, stepFindingsMarkdown } from './step-findings.ts';
import { timelineView } from './timeline-view.ts';
import {
  FINDING_LABEL,
  findingsOf,
  meetsTarget,
  metricRows,
  SEVERITY_RESPONSE_MS,
  stepLocation,
  stepStatusText,
  verdictOf,
} from './verdict.ts';

const VERDICT_BADGE = { pass: '✅ pass', failure: '❌ fail', error: '⚠️ aborted (no verdict)' } as const;

export function renderRunMarkdown(records: readonly RunRecord[]): string {
  const parts = [`# ${mdCell(invocationTitle(records))}`];
  if (records.length > 1) parts.push(summarySection(records));
  records.forEach((r, i) => {
    parts.push(runSection(r, records.length > 1 ? `Run ${i + 1} of ${records.length}: ` : ''));
  });
  return `${parts.join('\n\n')}\n`;
}

const distRow = (label: string, d: Distribution, target: string): string[] => [
  label,
  String(d.n),
  fmtDuration(d.mean),
  fmtDuration(d.p50),
  fmtDuration(d.p95),
  fmtDuration(d.min),
  fmtDuration(d.max),
  target,
];

function summarySection(records: readonly RunRecord[]): string {
  const out = ['## Summary'];
  for (const s of summarizeInvocation(records)) {
    if (s.controlRuns === s.runs.length) {
      out.push(`**${mdCell(s.scenario)}**: ${controlLine(s.controlRuns, s.falsePositives)}`);
      continue;
    }
    out.push(
      `**${mdCell(s.scenario)}**: ${s.runs.length} run${s.runs.length === 1 ? '' : 's'}, ${s.passed} passed; ${mdCell(outcomeCounts(s.outcomes))}`,
      mdTable(
        ['metric', 'n', 'mean', 'p50', 'p95', 'min', 'max', 'target'],
        [
          distRow(
            'MTTD',
            s.mttd,
            `< ${fmtDuration(s.targets.mttdMs)} ${mark(meetsTarget(s.mttd.mean, s.targets.mttdMs))}`,
          ),
          ...(s.mttdPage ? [distRow('MTTD to page', s.mttdPage, '—')] : []),
          distRow(
            'MTTR',
            s.mttr,
            `< ${fmtDuration(s.targets.mttrMs)} ${mark(meetsTarget(s.mttr.mean, s.targets.mttrMs))}`,
          ),
          distRow('time to remediate', s.timeToRemediate, '—'),
          distRow('customer impact', s.customerImpact, 'no target in runbook'),
        ],
      ),
    );
  }
  return out.join('\n\n');
}

function runSection(r: RunRecord, prefix: string): string {
  const verdict = verdictOf(r);
  const head = headline(r);
  const out = [
    `## ${prefix}${mdCode(r.runId)} — ${VERDICT_BADGE[verdict.status]}`,
    [`**${mdCell(head.outcome)}**`, mdCell(head.runbook), mdCell(head.timing)].join('  \n'),
    [
      `**Scenario:** ${mdCell(r.scenario.name)} — ${mdCell(r.scenario.title)}`,
      `**Started:** ${fmtWall(Date.parse(r.startedAt))} · **platform:** ${r.platform} · **detection:** ${mdCell(r.detectionSource)}`,
      `**Runbook:** ${mdCode(r.runbook.file)} § ${mdCell(r.runbook.section)}`,
    ].join('  \n'),
  ];
  if (verdict.reasons.length) out.push(verdict.reasons.map((x) => `- ${mdCell(x)}`).join('\n'));
  out.push(metricsTable(r), severityLine(r));
  out.push(`### Runbook steps\n\n${stepsTable(r)}`);
  out.push(`### Findings\n\n${findingsList(r)}`);
  out.push(`### Step findings (emulation and lint)\n\n${stepFindingsMarkdown(r)}`);
  out.push(`### Suggested runbook patch\n\n${patchMarkdown(r)}`);
  out.push(`### Alerts fired\n\n${alertsTable(r)}`);
  out.push(`### Restore\n\n${restoreText(r)}`);
  if (r.limitations.length)
    out.push(`### Limitations\n\n${r.limitations.map((l) => `- ${mdCell(l)}`).join('\n')}`);
  return out.join('\n\n');
}

function metricsTable(r: RunRecord): string {
  return mdTable(
    ['metric', 'measured', 'target', ''],
    metricRows(r).map((row) => [
      row.metric,
      mdCell(row.measured),
      row.target,
      row.met === undefined ? '' : mark(row.met),
    ]),
  );
}

function severityLine(r: RunRecord): string {
  if (r.observedSeverity === 'none')
    return '**Observed severity:** none (the drill caused no customer-visible impact)';
  const response = SEVERITY_RESPONSE_MS[r.observedSeverity];
  const met = meetsTarget(r.metrics.mttdMs, response);
  return (
    `**Observed severity:** ${r.observedSeverity} (scenario declares ${r.scenario.severity}); ` +
    `the runbook's response time for it is < ${fmtDuration(response)}, detection took ` +
    `${fmtDuration(r.metrics.mttdMs)} ${mark(met)}`
  );
}

function stepsTable(r: RunRecord): string {
  if (r.steps.length === 0) return '_No runbook steps ran._';
  const view = timelineView(r);
  const rows = r.steps.map((s, i) => {
    const span = view.steps[i];
    const startedAt = span && !span.approximate ? `+${fmtDuration(span.fromMs)}` : '';
    return [
      String(i + 1),
      stepLocation(s),
      s.kind,
      mdCode(s.command),
      stepStatusText(s),
      s.effect,
      `${fmtDuration(s.durationMs)}${startedAt ? ` at ${startedAt}` : ''}`,
    ];
  });
  return mdTable(['#', 'line', 'kind', 'command', 'status', 'effect', 'duration'], rows);
}

function findingsList(r: RunRecord): string {
  const findings = findingsOf(r);
  if (r.steps.length === 0) return '_None (no runbook steps ran)._';
  if (findings.length === 0) return '_None: every step that ran worked and had an effect._';
  return findings
    .map((f) => {
      const why = f.detail ? ` — ${mdCell(excerpt(f.detail, 160))}` : '';
      return `- **${FINDING_LABEL[f.kind]}** (${stepLocation(f.step)}): ${mdCode(f.step.command)}${why}`;
    })
    .join('\n');
}

function alertsTable(r: RunRecord): string {
  if (r.alertsFired.length === 0)
    return r.control ? '_None (as it should be for a control run)._' : '_None._';
  const injected = r.timeline.find((e) => e.type === 'injected')?.at.wallMs;
  const rows = r.alertsFired.map((a) => [
    mdCell(a.alert),
    a.expected ? 'expected' : '**unexpected**',
    injected !== undefined ? `+${fmtDuration(a.firstAtWallMs - injected)}` : fmtWall(a.firstAtWallMs),
  ]);
  return mdTable(['alert', 'expected?', 'first fired (since injection)'], rows);
}

function restoreText(r: RunRecord): string {
  const head = r.restore.ok ? '✅ restored' : '❌ restore incomplete';
  const lines = [head];
  if (r.restore.reverted.length) lines.push(`- reverted: ${r.restore.reverted.map(mdCode).join(', ')}`);
  for (const e of r.restore.errors) lines.push(`- error: ${mdCell(e)}`);
  return lines.join('\n');
}

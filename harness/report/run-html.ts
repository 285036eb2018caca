/**
 * The HTML report of one invocation: a self-contained page with, per run, the verdict, MTTD/MTTR
 * against targets, a timeline chart, the runbook steps with their output, findings, alerts,
 * restore and limitations; with several runs, a summary with distributions and target charts.
 */
import type { Distribution } from '../core/metrics.ts';
import { runTargetCharts, runTimelineChart } from './charts/run-charts.ts';
import { escapeHtml as esc, excerpt, fmtDuration, fmtWall } from './format.ts';
import { headline } from './headline.ts';
import { chartFigure, code, htmlMark, htmlPage, htmlTable } from './html-page.ts';
import { controlLine, invocationTitle, outcomeCounts, summarizeInvocation } from './invocation.ts';
import type { RunRecord } from './record.ts';
import { patchHtml, stepFindingsHtml } from './step-findings.ts';
import {
  diagnosticSawOutage,
  FINDING_LABEL,
  findingsOf,
  meetsTarget,
  metricRows,
  outcomeLabel,
  runKind,
  SEVERITY_RESPONSE_MS,
  stepLocation,
  stepStatusText,
  verdictOf,
} from './verdict.ts';

const BADGE = { pass: 'pass', failure: 'fail', error: 'aborted — no verdict' } as const;

export function renderRunHtml(records: readonly RunRecord[], opts: { generatedAtMs: number }): string {
  const title = invocationTitle(records);
  const body = [
    `<h1>${esc(title)}</h1>`,
    `<p class="meta">${records.length} run${records.length === 1 ? '' : 's'} · started ${esc(fmtWall(Date.parse(records[0]!.startedAt)))}</p>`,
    summarySection(records),
    ...records.map((r, i) => runSection(r, records.length > 1 ? `Run ${i + 1} of ${records.length}: ` : '')),
  ].join('\n');
  return htmlPage({ title, body, generatedAtMs: opts.generatedAtMs });
}

const distCells = (d: Distribution) => [
  String(d.n),
  ...[d.mean, d.p50, d.p95, d.min, d.max].map(fmtDuration),
];

function summarySection(records: readonly RunRecord[]): string {
  // Control runs have no fault to time; the others keep their run number from the page.
  const timed = records
    .map((record, i) => ({
      record,
      label: records.length === 1 ? record.scenario.name : `#${i + 1} ${record.scenario.name}`,
    }))
    .filter((r) => runKind(r.record) !== 'control');
  const charts = (timed.length ? runTargetCharts(timed) : [])
    .map((svg, i) =>
      chartFigure(svg, i === 0 ? 'MTTD per run against target' : 'MTTR per run against target'),
    )
    .join('');
  const out = ['<h2>MTTD and MTTR against targets</h2>', `<div class="charts">${charts}</div>`];
  if (records.length > 1) {
    for (const s of summarizeInvocation(records)) {
      if (s.controlRuns === s.runs.length) {
        out.push(
          `<h3>${esc(s.scenario)}</h3>`,
          `<p>${esc(controlLine(s.controlRuns, s.falsePositives))}</p>`,
        );
        continue;
      }
      out.push(
        `<h3>${esc(s.scenario)}: ${s.runs.length} run${s.runs.length === 1 ? '' : 's'}, ${s.passed} passed</h3>`,
        `<p>${esc(outcomeCounts(s.outcomes))}</p>`,
        htmlTable(
          ['metric', 'n', 'mean', 'p50', 'p95', 'min', 'max', 'target', 'mean vs target'],
          [
            [
              'MTTD',
              ...distCells(s.mttd),
              `&lt; ${fmtDuration(s.targets.mttdMs)}`,
              htmlMark(meetsTarget(s.mttd.mean, s.targets.mttdMs)),
            ],
            ...(s.mttdPage ? [['MTTD to page', ...distCells(s.mttdPage), '—', '']] : []),
            [
              'MTTR',
              ...distCells(s.mttr),
              `&lt; ${fmtDuration(s.targets.mttrMs)}`,
              htmlMark(meetsTarget(s.mttr.mean, s.targets.mttrMs)),
            ],
            ['time to remediate', ...distCells(s.timeToRemediate), '—', ''],
            ['customer impact', ...distCells(s.customerImpact), 'no target in runbook', ''],
          ],
          [1, 2, 3, 4, 5, 6],
        ),
      );
    }
  }
  return out.join('\n');
}

function runSection(r: RunRecord, prefix: string): string {
  const v = verdictOf(r);
  const head = headline(r);
  const out = [
    `<h2>${esc(prefix)}${code(r.runId)} <span class="badge ${v.status}">${BADGE[v.status]}</span></h2>`,
    `<p class="headline"><strong>${esc(head.outcome)}</strong><br>${esc(head.runbook)}<br>${esc(head.timing)}</p>`,
    `<p><strong>Outcome:</strong> ${esc(outcomeLabel(r))} · <strong>scenario:</strong> ${esc(r.scenario.name)} — ${esc(r.scenario.title)}<br>` +
      `<strong>started</strong> ${esc(fmtWall(Date.parse(r.startedAt)))} · <strong>platform</strong> ${esc(r.platform)} · <strong>detection</strong> ${esc(r.detectionSource)} · ` +
      `<strong>runbook</strong> ${code(r.runbook.file)} § ${esc(r.runbook.section)}</p>`,
  ];
  if (v.reasons.length)
    out.push(`<ul class="reasons">${v.reasons.map((x) => `<li class="bad">${esc(x)}</li>`).join('')}</ul>`);
  out.push(
    htmlTable(
      ['metric', 'measured', 'target', ''],
      metricRows(r).map((row) => [
        esc(row.metric),
        esc(row.measured),
        esc(row.target),
        row.met === undefined ? '' : htmlMark(row.met),
      ]),
      [1],
    ),
    `<p>${severityHtml(r)}</p>`,
    chartFigure(runTimelineChart(r), `Timeline of ${r.runId}`),
    '<h3>Runbook steps</h3>',
    stepsHtml(r),
    '<h3>Findings</h3>',
    findingsHtml(r),
    '<h3>Step findings (emulation and lint)</h3>',
    stepFindingsHtml(r),
    '<h3>Suggested runbook patch</h3>',
    patchHtml(r),
    '<h3>Alerts fired</h3>',
    alertsHtml(r),
    '<h3>Restore</h3>',
    restoreHtml(r),
  );
  if (r.limitations.length)
    out.push('<h3>Limitations</h3>', `<ul>${r.limitations.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>`);
  return `<section>${out.join('\n')}</section>`;
}

function severityHtml(r: RunRecord): string {
  if (r.observedSeverity === 'none')
    return '<strong>Observed severity:</strong> none (no customer-visible impact)';
  const response = SEVERITY_RESPONSE_MS[r.observedSeverity];
  return (
    `<strong>Observed severity:</strong> ${esc(r.observedSeverity)} (scenario declares ${esc(r.scenario.severity)}); ` +
    `runbook response time &lt; ${fmtDuration(response)}, detection took ${fmtDuration(r.metrics.mttdMs)} ` +
    htmlMark(meetsTarget(r.metrics.mttdMs, response))
  );
}

function stepsHtml(r: RunRecord): string {
  if (r.steps.length === 0) return '<p class="muted">No runbook steps ran.</p>';
  const rows = r.steps.map((s, i) => {
    const output = [s.error ? `error: ${s.error}` : '', s.output].filter(Boolean).join('\n');
    const detail = output
      ? `<details><summary>output</summary><pre>${esc(excerpt(output, 4000))}</pre></details>`
      : '';
    return [
      String(i + 1),
      esc(stepLocation(s)),
      esc(s.kind),
      code(s.command) +
        (s.translatedTo ? `<br><span class="muted">as ${esc(s.translatedTo)}</span>` : '') +
        detail,
      `<span class="status-${diagnosticSawOutage(s) ? 'passed' : esc(s.status)}">${esc(stepStatusText(s))}</span>`,
      s.effect === 'not-checked'
        ? '<span class="muted">—</span>'
        : `<span class="effect-${esc(s.effect)}">${esc(s.effect)}</span>`,
      fmtDuration(s.durationMs),
    ];
  });
  return htmlTable(['#', 'line', 'kind', 'command', 'status', 'effect', 'duration'], rows, [0, 6]);
}

function findingsHtml(r: RunRecord): string {
  const findings = findingsOf(r);
  if (findings.length === 0)
    return `<p class="muted">${r.steps.length === 0 ? 'None (no runbook steps ran).' : 'None: every step that ran worked and had an effect.'}</p>`;
  const rows = findings.map((f) => [
    esc(FINDING_LABEL[f.kind]),
    esc(stepLocation(f.step)),
    code(f.step.command),
    esc(excerpt(f.detail, 300)),
  ]);
  return htmlTable(['finding', 'line', 'step', 'detail'], rows);
}

function alertsHtml(r: RunRecord): string {
  if (r.alertsFired.length === 0)
    return `<p class="muted">None${r.control ? ' (as it should be for a control run)' : ''}.</p>`;
  const injected = r.timeline.find((e) => e.type === 'injected')?.at.wallMs;
  const rows = r.alertsFired.map((a) => [
    esc(a.alert),
    a.expected ? 'expected' : '<span class="bad">unexpected</span>',
    injected !== undefined ? `+${fmtDuration(a.firstAtWallMs - injected)}` : esc(fmtWall(a.firstAtWallMs)),
  ]);
  return htmlTable(['alert', 'expected?', 'first fired (since injection)'], rows);
}

function restoreHtml(r: RunRecord): string {
  const head = r.restore.ok
    ? '<span class="ok">✓ restored</span>'
    : '<span class="bad">✗ restore incomplete</span>';
  const items = [
    ...r.restore.reverted.map((x) => `<li>reverted ${code(x)}</li>`),
    ...r.restore.errors.map((e) => `<li class="bad">${esc(e)}</li>`),
  ];
  return `<p>${head}</p>${items.length ? `<ul>${items.join('')}</ul>` : ''}`;
}

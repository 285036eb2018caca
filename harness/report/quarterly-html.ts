/**
 * The quarterly review as one self-contained HTML page: the KPI table next to the runbook's
 * targets, per-scenario tables, inline-SVG charts (per-scenario MTTD/MTTR against targets,
 * weekly trends, weekly outcomes) and the runbook findings.
 */
import { scenarioStatsChart, weeklyOutcomesChart, weeklyTrendChart } from './charts/quarterly-charts.ts';
import { escapeHtml as esc, excerpt, fmtWall, plural } from './format.ts';
import { chartFigure, code, htmlMark, htmlPage, htmlTable } from './html-page.ts';
import type { QuarterlyReport } from './quarterly.ts';
import { type QuarterlyRenderContext, reviewTitle } from './quarterly-markdown.ts';
import {
  type Cell,
  counterfactualTable,
  DEFINITIONS,
  falsePositiveTables,
  findingsTable,
  kpiTable,
  outcomesTable,
  processTable,
  type Table,
  timingTable,
  weeklyTable,
} from './quarterly-tables.ts';

const cell = (c: Cell): string =>
  typeof c === 'string' ? esc(excerpt(c, 300)) : 'code' in c ? code(c.code) : htmlMark(c.met);

const table = (t: Table, empty: string): string =>
  t.rows.length === 0
    ? `<p class="muted">${esc(empty)}</p>`
    : htmlTable(
        t.header.map(esc),
        t.rows.map((r) => r.map(cell)),
        t.numeric,
      );

export function renderQuarterlyHtml(q: QuarterlyReport, ctx: QuarterlyRenderContext): string {
  const o = q.overall;
  const fp = falsePositiveTables(q);
  const faultScenarios = q.scenarios.filter((s) => s.faultRuns > 0);
  const charts = faultScenarios.length
    ? [
        chartFigure(scenarioStatsChart(faultScenarios, 'mttd'), 'MTTD per scenario against target'),
        chartFigure(scenarioStatsChart(faultScenarios, 'mttr'), 'MTTR per scenario against target'),
      ]
    : [];
  const trendCharts = faultScenarios.length
    ? [
        chartFigure(weeklyTrendChart(faultScenarios, 'mttd'), 'Weekly MTTD per scenario'),
        chartFigure(weeklyTrendChart(faultScenarios, 'mttr'), 'Weekly MTTR per scenario'),
        chartFigure(weeklyOutcomesChart(o), 'Weekly outcomes and runbook accuracy'),
      ]
    : [];
  const parts = [
    `<h1>${esc(reviewTitle(q))}</h1>`,
    `<p class="meta">${plural(q.records, 'run record')} from ${code(ctx.source)}: ${plural(o.faultRuns, 'fault run')} (${o.aborted} aborted), ` +
      `${plural(o.controlRuns, 'control run')}, ${plural(o.counterfactualRuns, 'counterfactual run')}, across ${plural(q.scenarios.length, 'scenario')}. ` +
      `Generated ${esc(fmtWall(ctx.generatedAtMs))}.</p>`,
  ];
  if (ctx.invalid.length)
    parts.push(
      `<p class="bad">${ctx.invalid.length} file(s) skipped as invalid:</p><ul>${ctx.invalid
        .map((f) => `<li>${code(f.path)}: ${esc(excerpt(f.reason, 200))}</li>`)
        .join('')}</ul>`,
    );
  if (q.dataWarnings.length)
    parts.push(
      `<p class="bad">Check these records:</p><ul>${q.dataWarnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>`,
    );
  parts.push(
    "<h2>KPIs against the runbook's targets</h2>",
    table(kpiTable(q), 'No KPIs.'),
    '<h2>Time to detect and recover, per scenario</h2>',
    `<div class="charts">${charts.join('')}</div>`,
    table(timingTable(q), 'No fault runs in range.'),
    '<h2>Process KPIs, per scenario</h2>',
    table(processTable(q), 'No fault runs in range.'),
    '<h3>Outcomes</h3>',
    table(outcomesTable(q), 'No fault runs in range.'),
    '<h3>Counterfactual runs (no remediation)</h3>',
    table(counterfactualTable(q), 'None in range.'),
    '<h2>Trends</h2>',
    `<div class="charts">${trendCharts.join('')}</div>`,
    '<h3>Per week, all scenarios</h3>',
    table(weeklyTable(q), 'No weeks in range.'),
    '<h2>False positives (control runs)</h2>',
    table(
      fp.perScenario,
      'No control runs in range: the false-positive rate cannot be measured. Schedule control drills.',
    ),
    table(fp.perAlert, 'No alert fired during a control run.'),
    '<h3>Alerts that fired unexpectedly during fault runs</h3>',
    table(fp.unexpected, 'None.'),
    '<h2>Runbook findings</h2>',
    '<p>Steps that failed, hung, could not run, changed nothing, or were missing (the scenario had to add them), with the runbook line.</p>',
    table(findingsTable(q), 'None: every runbook step that ran worked.'),
  );
  if (q.limitations.length)
    parts.push(
      '<h2>Limitations reported by the runs</h2>',
      `<ul>${q.limitations.map((l) => `<li>${esc(l.text)} (${l.runs} run${l.runs === 1 ? '' : 's'})</li>`).join('')}</ul>`,
    );
  parts.push(
    '<h2>How the numbers are computed</h2>',
    `<dl>${DEFINITIONS.map(([k, v]) => `<dt><strong>${esc(k)}</strong></dt><dd>${esc(v)}</dd>`).join('')}</dl>`,
  );
  return htmlPage({ title: reviewTitle(q), body: parts.join('\n'), generatedAtMs: ctx.generatedAtMs });
}

/**
 * The quarterly review as one self-contained HTML page: the blocks of quarterly-document.ts,
 * with inline-SVG charts in the chart slots (per-scenario MTTD/MTTR against targets, weekly
 * trends, weekly outcomes).
 */
import { scenarioStatsChart, weeklyOutcomesChart, weeklyTrendChart } from './charts/quarterly-charts.ts';
import { escapeHtml as esc, excerpt } from './format.ts';
import { chartFigure, code, htmlMark, htmlPage, htmlTable } from './html-page.ts';
import type { QuarterlyReport } from './quarterly.ts';
import {
  type Block,
  type Inline,
  type QuarterlyRenderContext,
  reviewBlocks,
  reviewTitle,
} from './quarterly-document.ts';
import type { Cell } from './quarterly-tables.ts';

const cell = (c: Cell): string =>
  typeof c === 'string' ? esc(excerpt(c, 300)) : 'code' in c ? code(c.code) : htmlMark(c.met);

const inline = (text: readonly Inline[]): string =>
  text.map((t) => (typeof t === 'string' ? esc(t) : code(t.code))).join('');

function charts(q: QuarterlyReport, which: 'targets' | 'trends'): string[] {
  const faultScenarios = q.scenarios.filter((s) => s.faultRuns > 0);
  if (faultScenarios.length === 0) return [];
  return which === 'targets'
    ? [
        chartFigure(scenarioStatsChart(faultScenarios, 'mttd'), 'MTTD per scenario against target'),
        chartFigure(scenarioStatsChart(faultScenarios, 'mttr'), 'MTTR per scenario against target'),
      ]
    : [
        chartFigure(weeklyTrendChart(faultScenarios, 'mttd'), 'Weekly MTTD per scenario'),
        chartFigure(weeklyTrendChart(faultScenarios, 'mttr'), 'Weekly MTTR per scenario'),
        chartFigure(weeklyOutcomesChart(q.overall), 'Weekly outcomes and runbook accuracy'),
      ];
}

function block(b: Block, q: QuarterlyReport): string {
  switch (b.kind) {
    case 'heading':
      return `<h${b.level}>${esc(b.text)}</h${b.level}>`;
    case 'paragraph':
      return `<p${b.tone ? ` class="${b.tone}"` : ''}>${inline(b.text)}</p>`;
    case 'list':
      return `<ul>${b.items.map((i) => `<li>${inline(i)}</li>`).join('')}</ul>`;
    case 'table':
      return b.table.rows.length === 0
        ? `<p class="muted">${esc(b.empty)}</p>`
        : htmlTable(
            b.table.header.map(esc),
            b.table.rows.map((r) => r.map(cell)),
            b.table.numeric,
          );
    case 'charts':
      return `<div class="charts">${charts(q, b.which).join('')}</div>`;
    case 'definitions':
      return `<dl>${b.items.map(([k, v]) => `<dt><strong>${esc(k)}</strong></dt><dd>${esc(v)}</dd>`).join('')}</dl>`;
  }
}

export function renderQuarterlyHtml(q: QuarterlyReport, ctx: QuarterlyRenderContext): string {
  const body = reviewBlocks(q, ctx)
    .map((b) => block(b, q))
    .join('\n');
  return htmlPage({ title: reviewTitle(q), body, generatedAtMs: ctx.generatedAtMs });
}

/**
 * The quarterly review as Markdown: the same tables as the HTML page, without the charts
 * (the weekly numbers are in a table instead), for a wiki page or a pull request.
 */
import { excerpt, fmtWall, mark, mdCell, mdCode, mdTable, plural } from './format.ts';
import type { QuarterlyReport } from './quarterly.ts';
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
import type { InvalidRecordFile } from './store.ts';

export interface QuarterlyRenderContext {
  /** Folder the records were read from, for the reader's reference. */
  readonly source: string;
  readonly invalid: readonly InvalidRecordFile[];
  readonly generatedAtMs: number;
}

const cell = (c: Cell): string =>
  typeof c === 'string' ? mdCell(excerpt(c, 240)) : 'code' in c ? mdCode(c.code) : mark(c.met);

const table = (t: Table, empty: string): string =>
  t.rows.length === 0
    ? `_${empty}_`
    : mdTable(
        t.header.map(mdCell),
        t.rows.map((r) => r.map(cell)),
      );

export const reviewTitle = (q: QuarterlyReport): string =>
  `Reliability review: ${fmtWall(q.sinceMs).slice(0, 10)} to ${fmtWall(q.now).slice(0, 10)}`;

export function renderQuarterlyMarkdown(q: QuarterlyReport, ctx: QuarterlyRenderContext): string {
  const o = q.overall;
  const fp = falsePositiveTables(q);
  const parts = [
    `# ${reviewTitle(q)}`,
    `${plural(q.records, 'run record')} from ${mdCode(ctx.source)}: ${plural(o.faultRuns, 'fault run')} (${o.aborted} aborted), ` +
      `${plural(o.controlRuns, 'control run')}, ${plural(o.counterfactualRuns, 'counterfactual run')}, across ` +
      `${plural(q.scenarios.length, 'scenario')}. Generated ${fmtWall(ctx.generatedAtMs)}.`,
  ];
  if (ctx.invalid.length)
    parts.push(
      `**${ctx.invalid.length} file(s) skipped as invalid:**\n\n${ctx.invalid.map((f) => `- ${mdCode(f.path)}: ${mdCell(excerpt(f.reason, 200))}`).join('\n')}`,
    );
  if (q.dataWarnings.length)
    parts.push(`**Check these records:**\n\n${q.dataWarnings.map((w) => `- ${mdCell(w)}`).join('\n')}`);
  parts.push(
    "## KPIs against the runbook's targets",
    table(kpiTable(q), 'no KPIs'),
    '## Time to detect and recover, per scenario',
    table(timingTable(q), 'No fault runs in range.'),
    '## Process KPIs, per scenario',
    table(processTable(q), 'No fault runs in range.'),
    '### Outcomes',
    table(outcomesTable(q), 'No fault runs in range.'),
    '### Counterfactual runs (no remediation)',
    table(counterfactualTable(q), 'None in range.'),
    '## False positives (control runs)',
    table(
      fp.perScenario,
      'No control runs in range: the false-positive rate cannot be measured. Schedule control drills.',
    ),
    table(fp.perAlert, 'No alert fired during a control run.'),
    '### Alerts that fired unexpectedly during fault runs',
    table(fp.unexpected, 'None.'),
    '## Trend per week (all scenarios)',
    table(weeklyTable(q), 'No weeks in range.'),
    '## Runbook findings',
    'Steps that failed, hung, could not run, changed nothing, or were missing (the scenario had to add them), with the runbook line.',
    table(findingsTable(q), 'None: every runbook step that ran worked.'),
  );
  if (q.limitations.length)
    parts.push(
      '## Limitations reported by the runs',
      q.limitations.map((l) => `- ${mdCell(l.text)} (${l.runs} run${l.runs === 1 ? '' : 's'})`).join('\n'),
    );
  parts.push('## How the numbers are computed', DEFINITIONS.map(([k, v]) => `- **${k}**: ${v}`).join('\n'));
  return `${parts.join('\n\n')}\n`;
}

/**
 * The quarterly review as an ordered list of blocks: headings, paragraphs, lists, tables and
 * chart slots. The Markdown and the HTML writer both render this one list, so the two formats
 * always carry the same sections in the same order; only the markup differs (and Markdown,
 * which has no charts, relies on the tables that follow each chart slot).
 */
import { excerpt, fmtWall, plural } from './format.ts';
import type { QuarterlyReport, RunbookCoverage } from './quarterly.ts';
import {
  counterfactualTable,
  DEFINITIONS,
  falsePositiveTables,
  findingsTable,
  kpiTable,
  outcomesTable,
  processTable,
  responseTable,
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
  /** The `--runbook` argument the records were selected with, if any. */
  readonly runbookFilter?: string;
  /** The alert profile of every run in the review (a review never mixes profiles). */
  readonly profile?: string;
  /** Runs in range on other profiles, left out, each with how to review them. */
  readonly otherProfiles?: readonly string[];
}

/** Running text: plain, or a path or command shown as code. */
export type Inline = string | { readonly code: string };

export type Block =
  | { readonly kind: 'heading'; readonly level: 1 | 2 | 3; readonly text: string }
  /** `meta`: about the report itself; `bad`: something the reader must look at. */
  | { readonly kind: 'paragraph'; readonly text: readonly Inline[]; readonly tone?: 'meta' | 'bad' }
  | { readonly kind: 'list'; readonly items: readonly (readonly Inline[])[] }
  | { readonly kind: 'table'; readonly table: Table; readonly empty: string }
  /** Where the HTML page draws its charts; the figures come from the report itself. */
  | { readonly kind: 'charts'; readonly which: 'targets' | 'trends' }
  | { readonly kind: 'definitions'; readonly items: readonly (readonly [string, string])[] };

export const reviewTitle = (q: QuarterlyReport): string =>
  `Reliability review: ${fmtWall(q.sinceMs).slice(0, 10)} to ${fmtWall(q.now).slice(0, 10)}`;

const h = (level: 1 | 2 | 3, text: string): Block => ({ kind: 'heading', level, text });
const p = (...text: Inline[]): Block => ({ kind: 'paragraph', text });
const table = (t: Table, empty: string): Block => ({ kind: 'table', table: t, empty });
const NO_FAULT_RUNS = 'No fault runs in range.';

/** "Runbook reviewed: `file` (12 runs, 2 versions)." — what the review is a review of. */
function runbookLine(runbooks: readonly RunbookCoverage[], filter: string | undefined): Inline[] {
  const one = (r: RunbookCoverage): Inline[] => [
    { code: r.file },
    ` (${plural(r.runs, 'run')}${r.versions > 1 ? `, ${r.versions} versions` : ''})`,
  ];
  const selected = filter === undefined ? '' : ` (--runbook ${filter})`;
  const lead = runbooks.length === 1 ? 'Runbook reviewed' : 'Runbooks covered';
  const hint: Inline[] =
    runbooks.length > 1 && filter === undefined
      ? ['; ', { code: 'pnpm report --runbook <path>' }, ' reviews one']
      : [];
  return [
    `${lead}${selected}: `,
    ...runbooks.flatMap((r, i) => [...(i ? [', '] : []), ...one(r)]),
    ...hint,
    '.',
  ];
}

function noContacts(q: QuarterlyReport): string {
  if (q.overall.verdictRuns === 0) return NO_FAULT_RUNS;
  return `No escalation contacts table with response times could be read from ${q.contactsUnknown.join(', ')}.`;
}

export function reviewBlocks(q: QuarterlyReport, ctx: QuarterlyRenderContext): Block[] {
  const o = q.overall;
  const fp = falsePositiveTables(q);
  const blocks: Block[] = [
    h(1, reviewTitle(q)),
    {
      kind: 'paragraph',
      tone: 'meta',
      text: [
        `${plural(q.records, 'run record')} from `,
        { code: ctx.source },
        `: ${plural(o.faultRuns, 'fault run')} (${o.aborted} aborted), ${plural(o.controlRuns, 'control run')}, ` +
          `${plural(o.counterfactualRuns, 'counterfactual run')}, across ${plural(q.scenarios.length, 'scenario')}. ` +
          `Generated ${fmtWall(ctx.generatedAtMs)}.`,
      ],
    },
    { kind: 'paragraph', tone: 'meta', text: runbookLine(q.runbooks, ctx.runbookFilter) },
  ];
  if (ctx.profile)
    blocks.push({
      kind: 'paragraph',
      tone: 'meta',
      text: [
        `Alert profile: ${ctx.profile} (${ctx.profile === 'fast' ? 'drill windows; judged on MTTD/MTTR projected to the production windows' : "the runbook's production windows"}).` +
          (ctx.otherProfiles?.length ? ` Not mixed in: ${ctx.otherProfiles.join('; ')}.` : ''),
      ],
    });
  if (ctx.invalid.length)
    blocks.push(
      { kind: 'paragraph', tone: 'bad', text: [`${ctx.invalid.length} file(s) skipped as invalid:`] },
      {
        kind: 'list',
        items: ctx.invalid.map((f) => [{ code: f.path }, `: ${excerpt(f.reason, 200)}`]),
      },
    );
  if (q.dataWarnings.length)
    blocks.push(
      { kind: 'paragraph', tone: 'bad', text: ['Check these records:'] },
      { kind: 'list', items: q.dataWarnings.map((w) => [w]) },
    );
  blocks.push(
    h(2, "KPIs against the runbook's targets"),
    table(kpiTable(q), 'No KPIs.'),
    h(2, 'Time to detect and recover, per scenario'),
    { kind: 'charts', which: 'targets' },
    table(timingTable(q), NO_FAULT_RUNS),
    h(2, 'Process KPIs, per scenario'),
    table(processTable(q), NO_FAULT_RUNS),
    h(3, "Response times (the runbook's escalation contacts)"),
    table(responseTable(q), noContacts(q)),
    h(3, 'Outcomes'),
    table(outcomesTable(q), NO_FAULT_RUNS),
    h(3, 'Counterfactual runs (no remediation)'),
    table(counterfactualTable(q), 'None in range.'),
    h(2, 'Trends'),
    { kind: 'charts', which: 'trends' },
    h(3, 'Per week, all scenarios'),
    table(weeklyTable(q), 'No weeks in range.'),
    h(2, 'False positives (control runs)'),
    table(
      fp.perScenario,
      'No control runs in range: the false-positive rate cannot be measured. Schedule control drills.',
    ),
    table(fp.perAlert, 'No alert fired during a control run.'),
    h(3, 'Alerts that fired unexpectedly during fault runs'),
    table(fp.unexpected, 'None.'),
    h(2, 'Runbook findings'),
    p(
      'Steps that failed, hung, could not run, changed nothing, or were missing (the scenario had to add them), with the runbook line.',
    ),
    table(findingsTable(q), 'None: every runbook step that ran worked.'),
  );
  if (q.limitations.length)
    blocks.push(h(2, 'Limitations reported by the runs'), {
      kind: 'list',
      items: q.limitations.map((l) => [`${l.text} (${plural(l.runs, 'run')})`]),
    });
  blocks.push(h(2, 'How the numbers are computed'), { kind: 'definitions', items: DEFINITIONS });
  return blocks;
}

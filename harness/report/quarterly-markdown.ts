/**
 * The quarterly review as Markdown: the blocks of quarterly-document.ts without the charts
 * (the tables after each chart slot carry the numbers), for a wiki page or a pull request.
 */
import { excerpt, mark, mdCell, mdCode, mdTable } from './format.ts';
import type { QuarterlyReport } from './quarterly.ts';
import { type Block, type Inline, type QuarterlyRenderContext, reviewBlocks } from './quarterly-document.ts';
import type { Cell } from './quarterly-tables.ts';

const cell = (c: Cell): string =>
  typeof c === 'string' ? mdCell(excerpt(c, 240)) : 'code' in c ? mdCode(c.code) : mark(c.met);

const inline = (text: readonly Inline[]): string =>
  text.map((t) => (typeof t === 'string' ? mdCell(t) : mdCode(t.code))).join('');

function block(b: Block): string | undefined {
  switch (b.kind) {
    case 'heading':
      return `${'#'.repeat(b.level)} ${mdCell(b.text)}`;
    case 'paragraph':
      return b.tone === 'bad' ? `**${inline(b.text)}**` : inline(b.text);
    case 'list':
      return b.items.map((i) => `- ${inline(i)}`).join('\n');
    case 'table':
      return b.table.rows.length === 0
        ? `_${b.empty}_`
        : mdTable(
            b.table.header.map(mdCell),
            b.table.rows.map((r) => r.map(cell)),
          );
    case 'charts':
      return undefined;
    case 'definitions':
      return b.items.map(([k, v]) => `- **${mdCell(k)}**: ${mdCell(v)}`).join('\n');
  }
}

export function renderQuarterlyMarkdown(q: QuarterlyReport, ctx: QuarterlyRenderContext): string {
  return `${reviewBlocks(q, ctx)
    .map(block)
    .filter((s) => s !== undefined)
    .join('\n\n')}\n`;
}

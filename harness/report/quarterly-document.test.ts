import { describe, expect, it } from 'vitest';
import { aggregate } from './quarterly.ts';
import { reviewBlocks } from './quarterly-document.ts';
import { renderQuarterlyHtml } from './quarterly-html.ts';
import { renderQuarterlyMarkdown } from './quarterly-markdown.ts';
import { fixedHistory, RANGE } from './testing/fixed-history.ts';
import { syntheticHistory } from './testing/synthetic-history.ts';

const ctx = {
  source: 'reports/runs',
  invalid: [{ path: 'reports/runs/broken.json', reason: 'not JSON' }],
  generatedAtMs: Date.parse('2026-04-01T09:00:00Z'),
};
const start = Date.parse('2026-01-05T00:00:00Z');
const histories = {
  'hand-computed': aggregate(fixedHistory(), RANGE),
  generated: aggregate(syntheticHistory({ startMs: start }), {
    sinceMs: start,
    now: start + 91 * 86_400_000,
  }),
};

const fromHtml = (s: string) => s.replace(/&#39;/g, "'").replace(/&amp;/g, '&');

/** Headings in order, and how many tables (or their "nothing here" line) each format shows. */
const mdOutline = (md: string) => ({
  headings: [...md.matchAll(/^(#{1,3}) (.*)$/gm)].map((m) => `${m[1]!.length} ${m[2]}`),
  tables: [...md.matchAll(/^\| --- |^_.*_$/gm)].length,
});
const htmlOutline = (html: string) => ({
  headings: [...html.matchAll(/<h([1-3])>(.*?)<\/h\1>/g)].map((m) => `${m[1]} ${fromHtml(m[2]!)}`),
  tables: [...html.matchAll(/<table>|<p class="muted">/g)].length,
});

describe.each(Object.entries(histories))('the quarterly review, %s history', (_, q) => {
  it('has the same sections and tables in Markdown and HTML, in the same order', () => {
    const md = mdOutline(renderQuarterlyMarkdown(q, ctx));
    const html = htmlOutline(renderQuarterlyHtml(q, ctx));
    expect(md.headings.length).toBeGreaterThan(10);
    expect(html).toEqual(md);
    const blocks = reviewBlocks(q, ctx);
    expect(md.tables).toBe(blocks.filter((b) => b.kind === 'table').length);
  });

  it('draws the charts in HTML only', () => {
    expect(renderQuarterlyHtml(q, ctx).match(/<svg /g)).toHaveLength(5);
    expect(renderQuarterlyMarkdown(q, ctx)).not.toContain('<svg');
  });
});

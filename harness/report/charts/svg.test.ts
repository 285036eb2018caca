/**
 * svg.ts registers only the ECharts parts the reports draw. A chart that uses another part
 * renders without it and ECharts only says so on the console: every report must render
 * with nothing missing.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { aggregate } from '../quarterly.ts';
import { renderQuarterlyHtml } from '../quarterly-html.ts';
import { renderRunHtml } from '../run-html.ts';
import { fixedHistory, RANGE } from '../testing/fixed-history.ts';
import { mixedInvocation, repeatInvocation } from '../testing/invocations.ts';
import { syntheticHistory } from '../testing/synthetic-history.ts';
import { renderSvg } from './svg.ts';

const START = Date.parse('2026-01-05T00:00:00Z');
const CTX = { source: 'reports/runs', invalid: [], generatedAtMs: Date.parse('2026-04-01T09:00:00Z') };

/** What ECharts printed while `render` ran. */
function consoleDuring(render: () => string): string[] {
  const said: string[] = [];
  for (const level of ['error', 'warn', 'log'] as const)
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      said.push(args.map(String).join(' '));
    });
  render();
  return said;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('renderSvg() with the ECharts parts svg.ts registers', () => {
  it.each([
    ['a run report', () => renderRunHtml(mixedInvocation(), { generatedAtMs: 1 })],
    ['a repeat report', () => renderRunHtml(repeatInvocation(), { generatedAtMs: 1 })],
    ['the hand-computed quarterly review', () => renderQuarterlyHtml(aggregate(fixedHistory(), RANGE), CTX)],
    [
      'a generated quarterly review',
      () =>
        renderQuarterlyHtml(
          aggregate(syntheticHistory({ startMs: START }), { sinceMs: START, now: START + 91 * 86_400_000 }),
          CTX,
        ),
    ],
  ])('draws %s with nothing missing', (_, render) => {
    expect(consoleDuring(render)).toEqual([]);
  });

  it('would say so if a chart used a part that is not registered', () => {
    const said = consoleDuring(() => renderSvg({ series: [{ type: 'pie', data: [1, 2] }] }, 100, 100));
    expect(said.join('\n')).toMatch(/Series pie is used but not imported/);
  });
});

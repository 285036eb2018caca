/**
 * ECharts rendered on the server to an SVG string, so the HTML reports carry their charts
 * inline and open without a network or a script. ECharts escapes the text it draws.
 */
import type { EChartsOption } from 'echarts';
import { init, use } from 'echarts/core';
// Only what the charts draw, registered by side effect: the full 'echarts' entry loads every
// chart type and component, ~40 MB and ~0.3 s more per report process for the same SVG.
import 'echarts/lib/chart/bar';
import 'echarts/lib/chart/custom';
import 'echarts/lib/chart/line';
import 'echarts/lib/chart/scatter';
import 'echarts/lib/component/grid';
import 'echarts/lib/component/legend';
import 'echarts/lib/component/markLine';
import 'echarts/lib/component/title';
import { SVGRenderer } from 'echarts/renderers';

use(SVGRenderer);

export type ChartOption = EChartsOption;

/** Render one chart to a standalone `<svg>` element. Animation is off: there is no browser to animate in. */
export function renderSvg(option: ChartOption, width: number, height: number): string {
  const chart = init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ animation: false, textStyle: { fontFamily: FONT }, ...option });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

// No quotes: ECharts writes this into a style attribute unescaped, and a quote would end it.
export const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, DejaVu Sans, sans-serif';

/** Colours used across charts and tables, so "failed" is the same red everywhere. */
export const COLORS = {
  passed: '#2e7d32',
  failed: '#c62828',
  'timed-out': '#ef6c00',
  'not-runnable': '#8d8d8d',
  skipped: '#c7c7c7',
  phase: '#90a4ae',
  phaseFailed: '#e57373',
  target: '#c62828',
  injected: '#c62828',
  detected: '#ef6c00',
  'remediation started': '#1565c0',
  recovered: '#2e7d32',
  mttd: '#ef8f00',
  mttr: '#1565c0',
} as const;

/** Series colours for per-scenario lines (colour-blind-friendly Okabe–Ito palette). */
export const SERIES_COLORS = [
  '#0072b2',
  '#e69f00',
  '#009e73',
  '#cc79a7',
  '#56b4e9',
  '#d55e00',
  '#000000',
  '#f0e442',
];

/** Minutes with up to one decimal, for labels. */
export const minutesLabel = (ms: number): string => `${Number((ms / 60_000).toFixed(1))} min`;

/** Charts plot minutes, so ECharts picks round tick values (1, 2, 5 min), not 3.3 min. */
export const toMinutes = (ms: number): number => ms / 60_000;

/** Shorten a label for an axis; the full text is in the table next to the chart. */
export const shorten = (text: string, max = 48): string =>
  text.length <= max ? text : `${text.slice(0, max - 1)}…`;

/** Smallest "round" number (1, 2, 2.5, 5 × 10^k) at or above x, for an axis maximum. */
export function niceCeil(x: number): number {
  if (!(x > 0)) return 1;
  const base = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * base >= x - 1e-9) return m * base;
  return 10 * base;
}

export interface ValueScale {
  /** Axis name: "seconds" or "minutes". */
  readonly unitName: string;
  /** Milliseconds to the axis unit. */
  readonly u: (ms: number) => number;
  /** A value as a short label in the axis unit, e.g. "1.6 s", "12.5 min". */
  readonly label: (ms: number) => string;
  /** Axis maximum, in the axis unit. */
  readonly max: number;
  /** False when the target is far above every value and is stated in words instead of drawn. */
  readonly drawTarget: boolean;
}

/**
 * The y scale of a duration chart with a target. A local drill detects in seconds against a
 * 5-minute target: drawn to the target's scale the bars would vanish, so when every value is
 * under a tenth of the target the data gets the scale and the target is said in the subtitle.
 */
export function valueScale(maxValueMs: number, targetMs: number | null): ValueScale {
  const drawTarget = targetMs === null || maxValueMs === 0 || maxValueMs >= targetMs * 0.1;
  const top = Math.max(maxValueMs, drawTarget && targetMs !== null ? targetMs : 0, 1000);
  const inSeconds = top < 120_000;
  const unitMs = inSeconds ? 1000 : 60_000;
  const u = (ms: number) => ms / unitMs;
  return {
    unitName: inSeconds ? 'seconds' : 'minutes',
    u,
    label: (ms) => `${Number(u(ms).toFixed(1))} ${inSeconds ? 's' : 'min'}`,
    max: niceCeil(u(top) * 1.1),
    drawTarget,
  };
}

/** The y axis of a duration chart on `scale`, from 0. */
export const durationAxis = (scale: ValueScale) => ({
  type: 'value' as const,
  name: scale.unitName,
  min: 0,
  max: scale.max,
  splitLine: { lineStyle: { color: '#eee' } },
});

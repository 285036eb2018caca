/**
 * Charts of one invocation: a gantt timeline per run (phases, runbook steps, and the
 * injected / detected / remediation / recovered markers) and MTTD/MTTR bars against targets.
 */
import type { RunRecord } from '../record.ts';
import { timelineView } from '../timeline-view.ts';
import {
  type ChartOption,
  COLORS,
  durationAxis,
  minutesLabel,
  renderSvg,
  shorten,
  valueScale,
} from './svg.ts';

type Row = { label: string; fromMs: number; toMs: number; color: string };

const GANTT_LEFT = 330;
const GANTT_RIGHT = 40;
/** Rough width of one character of an 11 px label; ECharts measures the same way without a canvas. */
const CHAR_PX = 6.5;

/**
 * Give each marker label the lowest row where it does not overlap a label already placed,
 * so "detected", "remediation started" and "recovered" a few seconds apart stay readable.
 */
export function stackLabels(
  atMs: readonly number[],
  labels: readonly string[],
  axis: { fromMs: number; toMs: number; widthPx: number },
): number[] {
  const span = Math.max(1, axis.toMs - axis.fromMs);
  const placed: { row: number; left: number; right: number }[] = [];
  return atMs.map((t, i) => {
    const center = ((t - axis.fromMs) / span) * axis.widthPx;
    const half = ((labels[i]?.length ?? 0) * CHAR_PX) / 2 + 4;
    const [left, right] = [center - half, center + half];
    let row = 0;
    while (placed.some((p) => p.row === row && p.left < right && left < p.right)) row++;
    placed.push({ row, left, right });
    return row;
  });
}

/** Gantt of one run on a time axis whose zero is the fault injection. */
export function runTimelineChart(r: RunRecord, width = 960): string {
  const view = timelineView(r);
  const rows: Row[] = [
    ...view.phases.map((p) => ({
      label: `phase: ${p.label}`,
      fromMs: p.fromMs,
      toMs: p.toMs,
      color: p.status === 'failed' ? COLORS.phaseFailed : COLORS.phase,
    })),
    ...view.steps.map((s) => ({
      label: `${s.step?.line !== undefined ? `L${s.step.line}` : 'extra'} ${s.label}`,
      fromMs: s.fromMs,
      toMs: s.toMs,
      color: COLORS[s.status as keyof typeof COLORS] ?? COLORS.phase,
    })),
  ];
  // Long drills read better in minutes, short local ones in seconds; data is plotted in that
  // unit so the axis ticks land on round numbers.
  const inMinutes = view.endMs - view.startMs > 10 * 60_000;
  const unit = inMinutes ? 60_000 : 1000;
  const suffix = inMinutes ? 'm' : 's';
  const u = (ms: number) => ms / unit;
  const fmt = (ms: number) => `${Number(u(ms).toFixed(1))}${suffix}`;
  const labels = view.markers.map((m) => `${m.label} ${fmt(m.atMs)}`);
  const labelRows = stackLabels(
    view.markers.map((m) => m.atMs),
    labels,
    { fromMs: view.startMs, toMs: view.endMs, widthPx: width - GANTT_LEFT - GANTT_RIGHT },
  );
  const labelHeight = 14 * (Math.max(0, ...labelRows) + 1);
  const height = 106 + labelHeight + rows.length * 26;
  const option: ChartOption = {
    title: { text: `Timeline: ${r.runId}`, left: 8, top: 4, textStyle: { fontSize: 13 } },
    grid: { left: GANTT_LEFT, right: GANTT_RIGHT, top: 58 + labelHeight, bottom: 40 },
    xAxis: {
      type: 'value',
      name: `${inMinutes ? 'minutes' : 'seconds'} since ${view.origin}`,
      nameLocation: 'middle',
      nameGap: 26,
      axisLabel: { formatter: (v: number) => `${v}${suffix}` },
      splitLine: { lineStyle: { color: '#eee' } },
    },
    yAxis: {
      type: 'category',
      inverse: true,
      data: rows.map((x) => shorten(x.label, 52)),
      axisLabel: { fontSize: 11 },
      axisTick: { show: false },
    },
    series: [
      {
        type: 'custom',
        name: 'spans',
        encode: { x: [1, 2], y: 0 },
        data: rows.map((x, i) => ({ value: [i, u(x.fromMs), u(x.toMs)], itemStyle: { color: x.color } })),
        renderItem: (params, api) => {
          const start = api.coord([api.value(1), api.value(0)]);
          const end = api.coord([api.value(2), api.value(0)]);
          const band = api.size ? (api.size([0, 1]) as number[]) : [0, 20];
          const bandHeight = (band[1] ?? 20) * 0.6;
          return {
            type: 'rect',
            shape: {
              x: start[0]!,
              y: start[1]! - bandHeight / 2,
              width: Math.max(2, end[0]! - start[0]!),
              height: bandHeight,
            },
            style: { fill: rows[params.dataIndex]!.color },
          };
        },
        markLine: {
          symbol: 'none',
          silent: true,
          data: view.markers.map((m, i) => ({
            xAxis: u(m.atMs),
            lineStyle: {
              color: COLORS[m.label as keyof typeof COLORS] ?? '#444',
              type: 'dashed',
              width: 1.5,
            },
            // The y axis is inverted, so 'start' is the top; each label sits on its own row
            // when it would overlap the previous one.
            label: {
              formatter: labels[i]!,
              position: 'start',
              distance: [0, 4 + labelRows[i]! * 14],
              fontSize: 11,
              color: COLORS[m.label as keyof typeof COLORS] ?? '#444',
            },
          })),
        },
      },
    ],
  };
  return renderSvg(option, width, height);
}

export interface TargetBarsInput {
  readonly title: string;
  readonly labels: readonly string[];
  readonly valuesMs: readonly (number | null)[];
  readonly targetsMs: readonly number[];
  readonly color: string;
}

/**
 * Bars with the target drawn as a line (one shared target) or a short red mark per bar
 * (targets differ, e.g. across scenarios). A missing value is shown as "—", not as zero.
 */
export function targetBarsChart(input: TargetBarsInput, width = 470): string {
  // Many runs need rotated labels and the room below the axis for them.
  const rotate = input.labels.length > 4;
  const height = rotate ? 280 : 240;
  const uniform = new Set(input.targetsMs).size <= 1;
  const target = input.targetsMs[0] ?? null;
  const maxValue = Math.max(0, ...input.valuesMs.map((v) => v ?? 0));
  const scale = valueScale(maxValue, uniform ? target : Math.max(...input.targetsMs));
  const offScale = uniform && target !== null && !scale.drawTarget;
  const { u, label } = scale;
  const option: ChartOption = {
    title: {
      text: input.title,
      ...(offScale
        ? {
            subtext: `target < ${minutesLabel(target)}: every run is far inside it`,
            subtextStyle: { color: COLORS.passed },
          }
        : {}),
      left: 8,
      top: 4,
      textStyle: { fontSize: 13 },
    },
    grid: { left: 56, right: 64, top: offScale ? 84 : 52, bottom: rotate ? 84 : 40 },
    ...(uniform ? {} : { legend: { bottom: 0, data: ['measured', 'target'] } }),
    xAxis: {
      type: 'category',
      data: [...input.labels],
      axisLabel: {
        interval: 0,
        rotate: rotate ? 30 : 0,
        fontSize: 11,
        formatter: (v: string) => shorten(v, 22),
      },
    },
    yAxis: {
      ...durationAxis(scale),
      axisLabel: { formatter: (v: number) => String(Number(v.toFixed(1))) },
    },
    series: [
      {
        type: 'bar',
        name: 'measured',
        barMaxWidth: 48,
        itemStyle: { color: input.color },
        data: input.valuesMs.map((v, i) => ({
          value: v === null ? 0 : u(v),
          itemStyle: {
            color: v !== null && v >= (input.targetsMs[i] ?? Infinity) ? COLORS.failed : input.color,
          },
          label: { show: true, position: 'top', fontSize: 10, formatter: v === null ? '—' : label(v) },
        })),
        ...(uniform && target !== null && !offScale
          ? {
              markLine: {
                symbol: 'none',
                silent: true,
                lineStyle: { color: COLORS.target, type: 'dashed', width: 2 },
                // Beside the line's end, outside the plot, so it never covers a bar's label.
                label: {
                  formatter: `target\n< ${minutesLabel(target)}`,
                  position: 'end',
                  color: COLORS.target,
                  fontSize: 11,
                },
                data: [{ yAxis: u(target) }],
              },
            }
          : {}),
      },
      {
        type: 'scatter',
        name: 'target',
        symbol: 'rect',
        symbolSize: uniform ? 0 : [36, 3],
        itemStyle: { color: COLORS.target },
        data: uniform ? [] : input.targetsMs.map(u),
      },
    ],
  };
  return renderSvg(option, width, height);
}

/**
 * MTTD and MTTR of runs in an invocation, each against its target. Labels come from the
 * caller so they match the run numbers of the page (control runs, left out here, keep theirs).
 */
export function runTargetCharts(runs: readonly { record: RunRecord; label: string }[]): string[] {
  const labels = runs.map((r) => r.label);
  const records = runs.map((r) => r.record);
  return [
    targetBarsChart({
      title: 'MTTD (detected − injected)',
      labels,
      valuesMs: records.map((r) => r.metrics.mttdMs),
      targetsMs: records.map((r) => r.targets.mttdMs),
      color: COLORS.mttd,
    }),
    targetBarsChart({
      title: 'MTTR (recovered − injected)',
      labels,
      valuesMs: records.map((r) => r.metrics.mttrMs),
      targetsMs: records.map((r) => r.targets.mttrMs),
      color: COLORS.mttr,
    }),
  ];
}

/**
 * Charts of the quarterly review: per-scenario MTTD/MTTR (mean, p50, p95) against targets,
 * weekly MTTD/MTTR trends per scenario, and weekly outcomes with runbook accuracy.
 */
import type { Outcome } from '../../core/metrics.ts';
import type { ScenarioKpis } from '../aggregate.ts';
import { weekLabel } from '../trends.ts';
import {
  type ChartOption,
  COLORS,
  durationAxis,
  minutesLabel,
  renderSvg,
  SERIES_COLORS,
  valueScale,
} from './svg.ts';

const WIDTH = 1060;

const farInside = (targets: readonly number[]) =>
  `target < ${targets.map(minutesLabel).join(' / ')}: far above every value, not drawn to scale`;

/** Mean, p50 and p95 per scenario for one metric, with each scenario's target as a red mark. */
export function scenarioStatsChart(scenarios: readonly ScenarioKpis[], metric: 'mttd' | 'mttr'): string {
  const rows = scenarios.filter((s) => s[metric].n > 0);
  const targetOf = (s: ScenarioKpis) =>
    s.targets ? (metric === 'mttd' ? s.targets.mttdMs : s.targets.mttrMs) : null;
  const targets = [...new Set(rows.flatMap((s) => (targetOf(s) === null ? [] : [targetOf(s)!])))];
  const uniform = targets.length === 1;
  const scale = valueScale(
    Math.max(0, ...rows.map((s) => s[metric].p95 ?? 0)),
    targets.length ? Math.min(...targets) : null,
  );
  const { u } = scale;
  const stat = (key: 'mean' | 'p50' | 'p95', color: string) => ({
    type: 'bar' as const,
    name: key,
    barMaxWidth: 28,
    itemStyle: { color },
    label: {
      show: true,
      position: 'top' as const,
      fontSize: 10,
      formatter: (p: { value: unknown }) => `${Number(Number(p.value).toFixed(1))}`,
    },
    data: rows.map((s) => {
      const v = s[metric][key];
      const t = targetOf(s);
      // The runbook's target is for the mean: a mean at or over it is drawn red.
      const missed = key === 'mean' && v !== null && t !== null && v >= t;
      return { value: u(v ?? 0), ...(missed ? { itemStyle: { color: COLORS.failed } } : {}) };
    }),
  });
  const base = metric === 'mttd' ? COLORS.mttd : COLORS.mttr;
  const option: ChartOption = {
    title: {
      text: `${metric.toUpperCase()} per scenario (${scale.unitName}): mean, p50, p95${scale.drawTarget ? ' against target' : ''}`,
      ...(scale.drawTarget ? {} : { subtext: farInside(targets), subtextStyle: { color: COLORS.passed } }),
      left: 8,
      top: 4,
      textStyle: { fontSize: 13 },
    },
    legend: {
      top: 4,
      right: 16,
      itemGap: 20,
      data: ['mean', 'p50', 'p95', ...(scale.drawTarget ? ['target'] : [])],
    },
    grid: { left: 56, right: 24, top: scale.drawTarget ? 64 : 84, bottom: 40 },
    xAxis: { type: 'category', data: rows.map((s) => s.scenario), axisLabel: { interval: 0, fontSize: 11 } },
    yAxis: durationAxis(scale),
    series: [
      stat('mean', base),
      stat('p50', `${base}99`),
      stat('p95', `${base}55`),
      // One shared target reads best as a line; differing targets as a short mark per scenario.
      !scale.drawTarget
        ? { type: 'line' as const, name: 'target', data: [] }
        : uniform
          ? {
              type: 'line' as const,
              name: 'target',
              data: [],
              itemStyle: { color: COLORS.target },
              markLine: {
                symbol: 'none',
                silent: true,
                lineStyle: { color: COLORS.target, type: 'dashed' as const, width: 2 },
                label: {
                  formatter: `target < ${minutesLabel(targets[0]!)}`,
                  position: 'insideEndTop' as const,
                  color: COLORS.target,
                },
                data: [{ yAxis: u(targets[0]!) }],
              },
            }
          : {
              type: 'scatter' as const,
              name: 'target',
              symbol: 'rect',
              symbolSize: [96, 3],
              itemStyle: { color: COLORS.target },
              data: rows.map((s) => {
                const t = targetOf(s);
                return t === null ? null : u(t);
              }),
            },
    ],
  };
  return renderSvg(option, WIDTH, 300);
}

/** The weeks axis of both weekly charts, labelled alike. */
const weekAxis = (weeks: string[]) => ({
  type: 'category' as const,
  data: weeks,
  name: 'week starting',
  nameLocation: 'middle' as const,
  nameGap: 36,
  axisLabel: { fontSize: 10, rotate: 30 },
});

/** Weekly mean of one metric per scenario, with the (shared) target as a dashed line. */
export function weeklyTrendChart(scenarios: readonly ScenarioKpis[], metric: 'mttd' | 'mttr'): string {
  const withData = scenarios.filter((s) => s.faultRuns > 0);
  const weeks = withData[0]?.weekly.map((w) => weekLabel(w.weekStartMs)) ?? [];
  const key = metric === 'mttd' ? 'mttdMeanMs' : 'mttrMeanMs';
  const targets = new Set(
    withData.flatMap((s) => (s.targets ? [metric === 'mttd' ? s.targets.mttdMs : s.targets.mttrMs] : [])),
  );
  const target = targets.size === 1 ? [...targets][0]! : null;
  const values = withData.flatMap((s) => s.weekly.map((w) => w[key] ?? 0));
  const scale = valueScale(Math.max(0, ...values), target);
  const { u } = scale;
  const option: ChartOption = {
    title: {
      text: `${metric.toUpperCase()} weekly mean per scenario (${scale.unitName})`,
      ...(scale.drawTarget || target === null
        ? {}
        : { subtext: farInside([target]), subtextStyle: { color: COLORS.passed }, itemGap: 4 }),
      left: 8,
      top: 4,
      textStyle: { fontSize: 13 },
    },
    legend: { top: scale.drawTarget ? 28 : 44, left: 8, itemGap: 28 },
    grid: { left: 56, right: 24, top: scale.drawTarget ? 84 : 100, bottom: 56 },
    xAxis: weekAxis(weeks),
    yAxis: durationAxis(scale),
    color: SERIES_COLORS,
    series: withData.map((s, i) => ({
      type: 'line' as const,
      name: s.scenario,
      connectNulls: true,
      symbolSize: 6,
      data: s.weekly.map((w) => (w[key] === null ? null : u(w[key]))),
      ...(i === 0 && target !== null && scale.drawTarget
        ? {
            markLine: {
              symbol: 'none',
              silent: true,
              lineStyle: { color: COLORS.target, type: 'dashed' as const, width: 2 },
              label: {
                formatter: `target < ${minutesLabel(target)}`,
                position: 'insideEndTop' as const,
                color: COLORS.target,
              },
              data: [{ yAxis: u(target) }],
            },
          }
        : {}),
    })),
  };
  return renderSvg(option, WIDTH, 320);
}

const OUTCOME_COLORS: Record<Outcome, string> = {
  'resolved-by-runbook': '#2e7d32',
  'resolved-with-extra-steps': '#9ccc65',
  'self-healed': '#90caf9',
  unresolved: '#c62828',
  'not-detected': '#6a1b9a',
  aborted: '#bdbdbd',
};

/** Fault-run outcomes per week (stacked) with runbook accuracy as a line on a % axis. */
export function weeklyOutcomesChart(overall: ScenarioKpis): string {
  const weeks = overall.weekly.map((w) => weekLabel(w.weekStartMs));
  const outcomes = Object.keys(OUTCOME_COLORS) as Outcome[];
  const option: ChartOption = {
    title: {
      text: 'Fault-run outcomes per week, and runbook accuracy',
      left: 8,
      top: 4,
      textStyle: { fontSize: 13 },
    },
    legend: { top: 28, left: 8, itemGap: 28 },
    grid: { left: 56, right: 56, top: 84, bottom: 56 },
    xAxis: weekAxis(weeks),
    yAxis: [
      { type: 'value', name: 'runs', minInterval: 1, splitLine: { lineStyle: { color: '#eee' } } },
      { type: 'value', name: 'accuracy %', min: 0, max: 100, splitLine: { show: false } },
    ],
    series: [
      ...outcomes.map((o) => ({
        type: 'bar' as const,
        name: o,
        stack: 'outcomes',
        barMaxWidth: 36,
        itemStyle: { color: OUTCOME_COLORS[o] },
        data: overall.weekly.map((w) => w.outcomes[o] ?? 0),
      })),
      {
        type: 'line' as const,
        name: 'runbook accuracy',
        yAxisIndex: 1,
        connectNulls: true,
        itemStyle: { color: '#37474f' },
        data: overall.weekly.map((w) => (w.accuracy === null ? null : Math.round(w.accuracy * 1000) / 10)),
      },
    ],
  };
  return renderSvg(option, WIDTH, 340);
}

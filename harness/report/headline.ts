/**
 * The first thing every view of a run says (console line, Markdown, HTML): the outcome and
 * the judge's verdict, how the runbook itself did, and the times against their targets. One
 * function, so the three views open with the same answer.
 */
import { fmtDuration } from './format.ts';
import type { RunRecord } from './record.ts';
import {
  diagnosticSawOutage,
  findingsOf,
  judge,
  judgedTime,
  meetsTarget,
  outcomeLabel,
  runKind,
} from './verdict.ts';

export interface Headline {
  readonly status: 'pass' | 'failure' | 'error';
  /** e.g. "resolved-with-extra-steps — FAIL: runbook did not resolve it: …" */
  readonly outcome: string;
  /** "runbook: N/M steps ok, K findings, J unexpected alerts" */
  readonly runbook: string;
  /** "MTTD 4.0s (target < 5m 00s) ✓ · MTTR …", or what a control run watched for. */
  readonly timing: string;
}

const STATUS_WORD = { pass: 'PASS', failure: 'FAIL', error: 'ERROR (no verdict)' } as const;
const mark = (met: boolean | null) => (met === null ? '—' : met ? '✓' : '✗');

/** Runbook steps (not the scenario's extra ones) that passed, or failed only by showing the outage. */
export function stepsOk(r: RunRecord): { ok: number; total: number } {
  const own = r.steps.filter((s) => s.kind !== 'extra');
  return { ok: own.filter((s) => s.status === 'passed' || diagnosticSawOutage(s)).length, total: own.length };
}

export function headline(r: RunRecord): Headline {
  const v = judge(r);
  const { ok, total } = stepsOk(r);
  const findings = findingsOf(r).length;
  const unexpected = r.alertsFired.filter((a) => !a.expected).length;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  // On fast windows the measured time is shown, and the projection the target is judged on beside it.
  const timed = (metric: 'mttd' | 'mttr') => {
    const t = judgedTime(r, metric);
    const target = r.targets[`${metric}Ms`];
    const measured = fmtDuration(r.metrics[`${metric}Ms`]);
    const shown = t.projected ? `${measured} on fast windows, ${fmtDuration(t.ms)} projected` : measured;
    return `${metric.toUpperCase()} ${shown} (target < ${fmtDuration(target)}) ${mark(meetsTarget(t.ms, target))}`;
  };
  const timing =
    runKind(r) === 'control'
      ? `alerts fired: ${r.alertsFired.length ? r.alertsFired.map((a) => a.alert).join(', ') : 'none'} (target: none)`
      : [timed('mttd'), ...paged(r), timed('mttr')].join(' · ');
  return {
    status: v.status,
    outcome: `${outcomeLabel(r)} — ${STATUS_WORD[v.status]}${v.reasons.length ? `: ${v.reasons.join('; ')}` : ''}`,
    runbook: `runbook: ${ok}/${total} steps ok, ${plural(findings, 'finding')}, ${plural(unexpected, 'unexpected alert')}`,
    timing,
  };
}

/** MTTD to the page, measured, when an Alertmanager was watched. */
const paged = (r: RunRecord): string[] =>
  r.metrics.mttdPageMs === undefined ? [] : [`paged ${fmtDuration(r.metrics.mttdPageMs)}`];

/** The headline as one line of text. */
export const headlineText = (r: RunRecord): string => {
  const h = headline(r);
  return `${h.outcome} · ${h.runbook} · ${h.timing}`;
};

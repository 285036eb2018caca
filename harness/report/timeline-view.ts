/**
 * A run's timeline laid out for a chart: every time is milliseconds since the fault was
 * injected (or since the run began, for a control run), taken from the monotonic readings so
 * the picture matches the metrics exactly.
 */

import type { StepResult } from '../runbook/step-result.ts';
import type { RunRecord } from './record.ts';

type RecordEvent = RunRecord['timeline'][number];

export interface Marker {
  readonly label: string;
  readonly atMs: number;
}
export interface Span {
  readonly label: string;
  readonly fromMs: number;
  readonly toMs: number;
  /** passed / failed / ... for steps, ok / failed for phases. */
  readonly status: string;
  /** The record had no start event for this step; its place is inferred from its neighbours. */
  readonly approximate: boolean;
  readonly step?: StepResult;
}
export interface TimelineView {
  readonly origin: 'injected' | 'run start';
  readonly markers: readonly Marker[];
  readonly phases: readonly Span[];
  readonly steps: readonly Span[];
  readonly startMs: number;
  readonly endMs: number;
}

const field = (e: RecordEvent, key: string): unknown => (e as Record<string, unknown>)[key];

const MARKER_EVENTS: readonly [string, string][] = [
  ['injected', 'injected'],
  ['detected', 'detected'],
  ['paged', 'paged'],
  ['remediation.started', 'remediation started'],
  ['recovered', 'recovered'],
];

export function timelineView(r: RunRecord): TimelineView {
  const events = r.timeline;
  const injected = events.find((e) => e.type === 'injected');
  const originMono = injected?.at.monoMs ?? events[0]?.at.monoMs ?? 0;
  const rel = (e: RecordEvent) => e.at.monoMs - originMono;

  const markers: Marker[] = [];
  for (const [type, label] of MARKER_EVENTS) {
    const e = events.find((x) => x.type === type);
    if (e) markers.push({ label, atMs: rel(e) });
  }

  const phases: Span[] = [];
  for (const start of events.filter((e) => e.type === 'phase.start')) {
    const phase = String(field(start, 'phase'));
    const end = events.find(
      (e) => e.type === 'phase.end' && field(e, 'phase') === phase && e.at.monoMs >= start.at.monoMs,
    );
    const ok = end ? field(end, 'ok') !== false : true;
    phases.push({
      label: phase,
      fromMs: rel(start),
      toMs: end ? rel(end) : rel(start),
      status: end ? (ok ? 'ok' : 'failed') : 'unfinished',
      approximate: !end,
    });
  }

  // Steps without start events are laid end to end after the remediation start (or the previous step).
  const remediation = events.find((e) => e.type === 'remediation.started');
  let cursor = remediation ? rel(remediation) : (markers.at(-1)?.atMs ?? 0);
  const steps: Span[] = r.steps.map((step) => {
    const start = events.find((e) => e.type === 'step.start' && field(e, 'stepId') === step.id);
    const end = events.find((e) => e.type === 'step.end' && field(e, 'stepId') === step.id);
    const fromMs = start ? rel(start) : cursor;
    const toMs = end ? rel(end) : fromMs + step.durationMs;
    cursor = Math.max(cursor, toMs);
    return { label: step.command, fromMs, toMs, status: step.status, approximate: !start, step };
  });

  const times = [0, ...markers.map((m) => m.atMs), ...phases.flatMap((p) => [p.fromMs, p.toMs])];
  times.push(...steps.flatMap((s) => [s.fromMs, s.toMs]));
  return {
    origin: injected ? 'injected' : 'run start',
    markers,
    phases,
    steps,
    startMs: Math.min(...times),
    endMs: Math.max(...times),
  };
}

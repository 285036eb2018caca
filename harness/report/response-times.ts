/**
 * The runbook's escalation contacts (L1..Ln with response times) checked against a drill's
 * timeline, where they apply:
 *
 * - L1, the on-call the harness stands in for, is paged by the detection: met when the first
 *   runbook step started within L1's response time of it.
 * - Each escalation trigger that fired (harness/run/escalation.ts, ids and reasons in the record) makes
 *   the next level due at the moment the trigger fired, or at detection if that came later
 *   (nobody can act on an incident before it is noticed). Triggers that fire at one instant
 *   are one escalation; a later trigger, with the incident still in hand, goes one level
 *   further ("escalate to the next level"), up to the last contact. A drill has no human to
 *   answer, so these levels get a "due by" deadline (due + the level's response time) and are
 *   never met or missed: not measurable.
 */
import { type Distribution, distribution } from '../core/metrics.ts';
import type { EscalationContact } from '../runbook/model.ts';
import { failingDependencies, showsDataLoss } from '../verify/checks.ts';
import { type Escalation, type EscalationTrigger, INVESTIGATION_BOX_MS } from './escalation-triggers.ts';
import type { RunRecord } from './record.ts';
import { runKind } from './verdict.ts';

export type ResponseStatus = 'met' | 'missed' | 'not-measurable';

export interface ResponseCheck {
  /** As the runbook writes it, e.g. "L2". */
  readonly level: string;
  readonly contact: string;
  readonly responseTime: string;
  /** Runbook line of the contact's row. */
  readonly line: number;
  /** What made the level due: "detection", or the escalation reason(s). */
  readonly because: string;
  /** Wall-clock ms the level became due; null when the timeline does not say. */
  readonly dueAtWallMs: number | null;
  /** dueAtWallMs + the level's response time. */
  readonly deadlineWallMs: number | null;
  readonly status: ResponseStatus;
  /** L1: how long after detection the first runbook step started. */
  readonly respondedAfterMs?: number;
  /** Why a level is not measurable. */
  readonly note?: string;
}

type Event = RunRecord['timeline'][number];

/** Instants the triggers are read from, as wall-clock ms. */
interface Moments {
  first(pred: (e: Event) => boolean): number | null;
  ofType(type: string): number | null;
  /** First verification round whose failures, together with the earlier ones, satisfy `pred`. */
  round(pred: (failuresSoFar: readonly string[]) => boolean): number | null;
}

function moments(events: readonly Event[]): Moments {
  const first = (pred: (e: Event) => boolean) => events.find(pred)?.at.wallMs ?? null;
  return {
    first,
    ofType: (type) => first((e) => e.type === type),
    round(pred) {
      const seen: string[] = [];
      for (const e of events) {
        if (e.type !== 'verify.round' || !Array.isArray(e['failures'])) continue;
        seen.push(...(e['failures'] as string[]));
        if (pred(seen)) return e.at.wallMs;
      }
      return null;
    },
  };
}

const plus = (a: number | null, ms: number) => (a === null ? null : a + ms);

/** When each trigger fired, read from the timeline. */
/** The first round in which one of the escalation's dependencies failed; null for records without them. */
const dependencyFailed = (m: Moments, _: RunRecord, e: Escalation) =>
  e.dependencies ? m.round((f) => e.dependencies!.some((d) => failingDependencies(f).has(d))) : null;

const TRIGGER_TIMES: Readonly<
  Record<EscalationTrigger, (m: Moments, r: RunRecord, e: Escalation) => number | null>
> = {
  'outage-duration': (m, r) => plus(m.ofType('injected'), r.targets.mttrMs),
  unresolved: (m) => m.first((e) => e.type === 'phase.end' && e['phase'] === 'verify'),
  'not-detected': (m) => m.first((e) => e.type === 'phase.end' && e['phase'] === 'detect'),
  'extra-steps': (m) => m.first((e) => e.type === 'step.start' && e['extra'] === true),
  'data-loss': (m) => m.round((f) => f.some(showsDataLoss)),
  'critical-impact': (m) => m.ofType('injected'),
  database: dependencyFailed,
  'external-dependency': dependencyFailed,
  'several-services': (m) => m.round((f) => failingDependencies(f).size > 1),
  'investigation-box': (m) => plus(m.ofType('detected'), INVESTIGATION_BOX_MS),
};

/**
 * Each escalation reason with the instant its trigger fired (null: not in the timeline, or a
 * record written before escalations carried their trigger).
 */
export function triggerTimes(r: RunRecord): { reason: string; atWallMs: number | null }[] {
  const m = moments(r.timeline);
  // a record from before escalations carried their trigger: the reasons alone, instants unknown
  if (r.escalations.length === 0) return r.escalationReasons.map((reason) => ({ reason, atWallMs: null }));
  return r.escalations.map((e) => ({ reason: e.reason, atWallMs: TRIGGER_TIMES[e.trigger](m, r, e) }));
}

const respond = (c: EscalationContact) => ({
  level: c.level,
  contact: c.contact,
  responseTime: c.responseTime,
  line: c.line,
});

/**
 * Every contact level that applied to the run, in order. Control and aborted runs have none.
 *
 * @example
 * const contacts = runbook.escalation.contacts; // L1..L4 from the runbook's table
 * for (const c of responseChecks(record, contacts)) console.log(c.level, c.status, c.deadlineWallMs);
 */
export function responseChecks(r: RunRecord, contacts: readonly EscalationContact[]): ResponseCheck[] {
  if (runKind(r) !== 'fault' || r.outcome === 'aborted' || contacts.length === 0) return [];
  return [onCall(r, contacts[0]!), ...escalations(r, contacts.slice(1))];
}

function onCall(r: RunRecord, l1: EscalationContact): ResponseCheck {
  const detected = moments(r.timeline).ofType('detected');
  const base = { ...respond(l1), because: 'detection', dueAtWallMs: detected };
  const deadlineWallMs = l1.responseTimeMs === undefined ? null : plus(detected, l1.responseTimeMs);
  if (detected === null)
    return { ...base, deadlineWallMs, status: 'not-measurable', note: 'not detected: nobody was paged' };
  const started = moments(r.timeline).first(
    (e) => e.type === 'step.start' && e['extra'] !== true && e.at.wallMs >= detected,
  );
  if (started === null)
    return { ...base, deadlineWallMs, status: 'not-measurable', note: 'no runbook step ran after detection' };
  if (deadlineWallMs === null)
    return { ...base, deadlineWallMs, status: 'not-measurable', note: 'the runbook gives no response time' };
  return {
    ...base,
    deadlineWallMs,
    status: started <= deadlineWallMs ? 'met' : 'missed',
    respondedAfterMs: started - detected,
  };
}

function escalations(r: RunRecord, above: readonly EscalationContact[]): ResponseCheck[] {
  if (above.length === 0) return [];
  const detected = moments(r.timeline).ofType('detected');
  // one escalation per distinct instant; a trigger is acted on once the incident is noticed
  const byInstant = new Map<number | null, string[]>();
  for (const t of triggerTimes(r)) {
    const due = t.atWallMs === null || detected === null ? t.atWallMs : Math.max(t.atWallMs, detected);
    byInstant.set(due, [...(byInstant.get(due) ?? []), t.reason]);
  }
  const ordered = [...byInstant].sort(([a], [b]) => (a ?? Infinity) - (b ?? Infinity));
  return ordered.map(([due, reasons], i) => {
    const level = above[Math.min(i, above.length - 1)]!;
    return {
      ...respond(level),
      because: reasons.join('; '),
      dueAtWallMs: due,
      deadlineWallMs: level.responseTimeMs === undefined ? null : plus(due, level.responseTimeMs),
      status: 'not-measurable' as const,
      note: 'a drill has no one to answer the escalation',
    };
  });
}

/** The escalation contacts of a runbook file as the records name it; undefined when unknown. */
export type ContactsOf = (runbookFile: string) => readonly EscalationContact[] | undefined;

const checksOf = (r: RunRecord, contactsOf: ContactsOf) =>
  responseChecks(r, contactsOf(r.runbook.file) ?? []);

/** Per scenario row: L1 met out of the runs it could be judged in, and in how many runs each level was due. */
export function responsesOfRuns(
  records: readonly RunRecord[],
  contactsOf: ContactsOf,
): { onCallMet: number; onCallJudged: number; runsDue: Readonly<Record<string, number>> } {
  let onCallMet = 0;
  let onCallJudged = 0;
  const runsDue: Record<string, number> = {};
  for (const r of records) {
    const [l1, ...above] = checksOf(r, contactsOf);
    if (l1?.status === 'met') onCallMet++;
    if (l1?.status === 'met' || l1?.status === 'missed') onCallJudged++;
    for (const level of new Set(above.map((c) => c.level))) runsDue[level] = (runsDue[level] ?? 0) + 1;
  }
  return { onCallMet, onCallJudged, runsDue };
}

export interface LevelSummary {
  readonly file: string;
  readonly level: string;
  readonly contact: string;
  readonly responseTime: string;
  readonly line: number;
  /** Runs in which the level was due (L1: every fault run it was checked in). */
  readonly runsDue: number;
  readonly met: number;
  readonly missed: number;
  readonly notMeasurable: number;
  /** The level's first deadline in each run it was due in, counted from the injection. */
  readonly deadlineAfterInjection: Distribution;
}

/** One row per contact level of each runbook, in the runbook's order, over the given runs. */
export function summarizeResponses(records: readonly RunRecord[], contactsOf: ContactsOf): LevelSummary[] {
  type Due = { statuses: ResponseStatus[]; deadlineAfterInjectionMs: number | null };
  const rows = new Map<string, { contact: EscalationContact; file: string; runs: Due[] }>();
  const key = (file: string, level: string) => `${file}\0${level}`;
  for (const file of new Set(records.map((r) => r.runbook.file)))
    for (const contact of contactsOf(file) ?? [])
      rows.set(key(file, contact.level), { contact, file, runs: [] });
  for (const r of records) {
    const injected = moments(r.timeline).ofType('injected');
    const checks = checksOf(r, contactsOf);
    for (const level of new Set(checks.map((c) => c.level))) {
      const ofLevel = checks.filter((c) => c.level === level);
      const deadline = ofLevel[0]!.deadlineWallMs;
      rows.get(key(r.runbook.file, level))?.runs.push({
        statuses: ofLevel.map((c) => c.status),
        // relative to the injection, so runs on different days compare
        deadlineAfterInjectionMs: deadline === null || injected === null ? null : deadline - injected,
      });
    }
  }
  return [...rows.values()].map(({ contact, file, runs }) => {
    const count = (s: ResponseStatus) => runs.flatMap((d) => d.statuses).filter((x) => x === s).length;
    return {
      file,
      ...respond(contact),
      runsDue: runs.length,
      met: count('met'),
      missed: count('missed'),
      notMeasurable: count('not-measurable'),
      deadlineAfterInjection: distribution(runs.map((d) => d.deadlineAfterInjectionMs)),
    };
  });
}

/**
 * The timeline: every event of a drill, stamped with both clocks. Metrics and the outcome
 * are derived from it and nothing else, so the report cannot disagree with what happened.
 */
import type { Clock, Instant } from './clock.ts';

export type Phase = 'preflight' | 'steady-state' | 'inject' | 'detect' | 'remediate' | 'verify' | 'restore';

export type TimelineEvent =
  | { type: 'phase.start'; phase: Phase }
  | { type: 'phase.end'; phase: Phase; ok: boolean; error?: string }
  /** The fault took effect (stamped when the platform applied it); it was confirmed observable. */
  | { type: 'injected'; fault: string }
  /** First time the detection source reported a scenario alert as firing. */
  | { type: 'detected'; alert: string; source: string; activeAtWallMs?: number }
  /** Any alert seen firing (including ones the scenario did not expect). */
  | { type: 'alert'; alert: string; source: string; state: 'pending' | 'firing' | 'resolved' }
  /** The detection source reports pages (an Alertmanager is watched): MTTD to the page is measured. */
  | { type: 'paging' }
  /** The alert reached the user's Alertmanager (seen in its API); `expected`: a scenario alert after injection. */
  | { type: 'routed'; alert: string; expected: boolean }
  /** The Alertmanager's notification (the page) reached the harness's webhook receiver. */
  | { type: 'paged'; alert: string; expected: boolean; receiver?: string }
  | { type: 'remediation.started' }
  | { type: 'step.start'; stepId: string; title: string; extra: boolean }
  | { type: 'step.end'; stepId: string; status: StepStatus; exitCode?: number }
  | { type: 'verify.round'; passed: boolean; failures: string[] }
  /** Start of the first window of N consecutive passing verification rounds. */
  | { type: 'recovered' }
  | { type: 'reverted'; what: string; ok: boolean; error?: string }
  | { type: 'note'; message: string };

export type StepStatus = 'passed' | 'failed' | 'timed-out' | 'not-runnable' | 'skipped';

export type Stamped<E extends TimelineEvent = TimelineEvent> = E & { readonly at: Instant };

export class Timeline {
  private readonly list: Stamped[] = [];
  private readonly listeners: ((e: Stamped) => void)[] = [];
  readonly clock: Clock;
  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** Record an event now; `at` overrides the stamp for events observed earlier (e.g. a window start). */
  add<E extends TimelineEvent>(event: E, at: Instant = this.clock.now()): Stamped<E> {
    const stamped = { ...event, at } as Stamped<E>;
    this.list.push(stamped);
    for (const l of this.listeners) l(stamped);
    return stamped;
  }

  onEvent(listener: (e: Stamped) => void): void {
    this.listeners.push(listener);
  }

  events(): readonly Stamped[] {
    return this.list;
  }

  first<T extends TimelineEvent['type']>(type: T): Stamped<Extract<TimelineEvent, { type: T }>> | undefined {
    return this.list.find((e) => e.type === type) as Stamped<Extract<TimelineEvent, { type: T }>> | undefined;
  }
}

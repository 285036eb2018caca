/**
 * Prometheus' alerting state machine, for detection sources that evaluate conditions themselves:
 * a condition that becomes true makes the alert `pending` with `activeAt` = that evaluation; once
 * it has held for the rule's `for`, the alert is `firing`; the first evaluation where it is false
 * drops the alert (resolved). With `for` = 0 it fires at the first true evaluation.
 */
import type { Instant } from '../core/clock.ts';
import type { AlertObservation } from './types.ts';

interface Active {
  readonly since: Instant;
  firing: boolean;
}

export class AlertStates {
  private readonly forMs: Readonly<Record<string, number>>;
  private readonly active = new Map<string, Active>();

  /** `forMs`: the hold duration of every alert this machine tracks. */
  constructor(forMs: Readonly<Record<string, number>>) {
    this.forMs = forMs;
  }

  /** Apply one evaluation of `alert`'s condition at `at`. */
  update(alert: string, conditionTrue: boolean, at: Instant): void {
    const holdMs = this.forMs[alert];
    if (holdMs === undefined) throw new Error(`no 'for' known for alert ${alert}`);
    if (!conditionTrue) {
      this.active.delete(alert);
      return;
    }
    let state = this.active.get(alert);
    if (!state) {
      state = { since: at, firing: false };
      this.active.set(alert, state);
    }
    if (at.monoMs - state.since.monoMs >= holdMs) state.firing = true;
  }

  /** Alerts currently pending or firing, like Prometheus' /api/v1/alerts. */
  observations(): AlertObservation[] {
    return [...this.active.entries()].map(([alert, s]) => ({
      alert,
      state: s.firing ? 'firing' : 'pending',
      activeAtWallMs: s.since.wallMs,
    }));
  }
}

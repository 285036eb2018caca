/**
 * Polls the detection source for the whole drill. Writes every alert state change to the
 * timeline, resolves `detected` on the first firing of an expected alert (MTTD's end point),
 * and remembers every alert that fired, expected or not (false positives).
 */
import type { Clock, Instant } from '../core/clock.ts';
import { errorMessage } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import type { Timeline } from '../core/timeline.ts';
import type { AlertObservation, DetectionSource, Notification } from '../detection/types.ts';

export interface AlertWatch {
  /** Start polling; resolves once the first poll is in (answered or failed). */
  start(): Promise<void>;
  /** The fault is being injected: from now on the scenario's alerts are not false positives. */
  arm(): void;
  /**
   * The fault is confirmed observable; it took effect at `appliedAt` (`injected` on the
   * timeline). An alert seen firing while the symptoms were still being confirmed is detected
   * when it was seen, and never before `appliedAt`: MTTD is never negative.
   */
  confirmInjected(appliedAt: Instant): void;
  stop(): Promise<void>;
  /** Resolves when an expected alert is first seen firing. */
  readonly detected: Promise<void>;
  firingNow(): string[];
  pendingNow(): string[];
  fired(): { alert: string; expected: boolean; firstAtWallMs: number }[];
}

export function watchAlerts(
  source: DetectionSource,
  opts: { clock: Clock; timeline: Timeline; pollMs: number; expected: readonly string[]; log: Logger },
): AlertWatch {
  const abort = new AbortController();
  const state = new Map<string, AlertObservation['state']>();
  const fired = new Map<string, { alert: string; expected: boolean; firstAtWallMs: number }>();
  let detectedOnce = false;
  let armed = false;
  let confirmed = false;
  let early: { obs: AlertObservation; at: Instant } | undefined;
  let resolveDetected!: () => void;
  const detected = new Promise<void>((r) => {
    resolveDetected = r;
  });
  let loop: Promise<void> | undefined;
  let firstPoll: Promise<void> | undefined;
  let lastError = '';

  const detect = (a: AlertObservation, at: Instant = opts.clock.now()) => {
    detectedOnce = true;
    opts.timeline.add(
      {
        type: 'detected',
        alert: a.alert,
        source: source.name,
        ...(a.activeAtWallMs === undefined ? {} : { activeAtWallMs: a.activeAtWallMs }),
      },
      at,
    );
    resolveDetected();
  };

  const observe = (obs: readonly AlertObservation[]) => {
    const seen = new Set<string>();
    for (const a of obs) {
      seen.add(a.alert);
      if (state.get(a.alert) === a.state) continue;
      state.set(a.alert, a.state);
      opts.timeline.add({ type: 'alert', alert: a.alert, source: source.name, state: a.state });
      if (a.state !== 'firing') continue;
      // before injection nothing is expected: whatever fires then is a false positive
      const expected = armed && opts.expected.includes(a.alert);
      if (!fired.has(a.alert))
        fired.set(a.alert, { alert: a.alert, expected, firstAtWallMs: opts.clock.now().wallMs });
      if (expected && !detectedOnce) {
        if (confirmed) detect(a);
        else early ??= { obs: a, at: opts.clock.now() };
      }
    }
    for (const [alert, s] of state) {
      if (!seen.has(alert)) {
        state.delete(alert);
        if (s === 'firing')
          opts.timeline.add({ type: 'alert', alert, source: source.name, state: 'resolved' });
      }
    }
  };

  // Routed and paged are stamped when the harness saw them; MTTD to the page derives from `paged`.
  const handled = new Set<Notification>();
  const notify = () => {
    for (const n of source.notifications?.() ?? []) {
      if (handled.has(n)) continue;
      handled.add(n);
      const expected = armed && opts.expected.includes(n.alert);
      const receiver = n.receiver === undefined ? {} : { receiver: n.receiver };
      opts.timeline.add({ type: n.kind, alert: n.alert, expected, ...receiver }, n.at);
    }
  };

  return {
    detected,
    arm() {
      armed = true;
    },
    confirmInjected(appliedAt) {
      confirmed = true;
      if (early && !detectedOnce)
        detect(early.obs, early.at.monoMs >= appliedAt.monoMs ? early.at : appliedAt);
    },
    start() {
      if (firstPoll) return firstPoll;
      if (source.notifications) opts.timeline.add({ type: 'paging' });
      let polled!: () => void;
      firstPoll = new Promise<void>((r) => {
        polled = r;
      });
      loop = (async () => {
        while (!abort.signal.aborted) {
          try {
            observe(await source.poll());
            notify();
          } catch (err) {
            // a monitoring outage is itself worth seeing, but must not stop the drill
            if (errorMessage(err) !== lastError)
              opts.log.warn(`detection ${source.name}: ${errorMessage(err)}`);
            lastError = errorMessage(err);
          }
          polled();
          await opts.clock.sleep(opts.pollMs, abort.signal);
        }
        polled();
      })();
      return firstPoll;
    },
    async stop() {
      abort.abort();
      await loop;
      notify(); // a page that came in after the last poll
    },
    firingNow: () => [...state].filter(([, s]) => s === 'firing').map(([a]) => a),
    pendingNow: () => [...state].filter(([, s]) => s === 'pending').map(([a]) => a),
    fired: () => [...fired.values()],
  };
}

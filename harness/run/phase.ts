/**
 * One phase of a drill, run under its clock deadline and written to the timeline (start, end,
 * error). An interrupt (SIGINT/SIGTERM, a harness crash) ends any phase but restore, which must
 * finish: that is what the drill promised the system it broke.
 */

import { errorMessage, PhaseTimeout } from '../core/errors.ts';
import type { Phase, Timeline } from '../core/timeline.ts';

export interface PhaseRun {
  readonly phase: Phase;
  readonly deadlineMs: number;
  /** What the phase waits for, for the progress line. */
  readonly waitingFor: string;
  run(signal: AbortSignal): Promise<unknown>;
  /** Written to the timeline just before the phase starts. */
  readonly note?: string;
  /** The deadline ends this phase but not the drill: its timing out is an outcome (verify: unresolved). */
  readonly deadlineIsOutcome?: boolean;
}

export interface PhaseContext {
  readonly timeline: Timeline;
  /** The drill's interrupt; its reason is a signal's name or the Error of a harness crash. */
  readonly interrupt: AbortSignal;
  readonly onPhase?: (phase: Phase, waitingFor: string) => void;
}

/** Rejects when the drill is interrupted; a signal reads "interrupted (SIGINT)", a crash is its own Error. */
function interrupted(signal: AbortSignal): { promise: Promise<never>; dispose(): void } {
  let onAbort = () => {};
  const promise = new Promise<never>((_, reject) => {
    onAbort = () =>
      reject(
        signal.reason instanceof Error
          ? signal.reason
          : new Error(`interrupted (${String(signal.reason ?? 'signal')})`),
      );
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
}

export async function runPhase(ctx: PhaseContext, p: PhaseRun): Promise<void> {
  if (p.note) ctx.timeline.add({ type: 'note', message: p.note });
  ctx.onPhase?.(p.phase, p.waitingFor);
  ctx.timeline.add({ type: 'phase.start', phase: p.phase });
  const ctl = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PhaseTimeout(p.phase, p.deadlineMs)), p.deadlineMs);
  });
  const interrupt = p.phase === 'restore' ? undefined : interrupted(ctx.interrupt);
  try {
    await Promise.race([p.run(ctl.signal), deadline, ...(interrupt ? [interrupt.promise] : [])]);
    ctx.timeline.add({ type: 'phase.end', phase: p.phase, ok: true });
  } catch (err) {
    ctl.abort(err);
    ctx.timeline.add({ type: 'phase.end', phase: p.phase, ok: false, error: errorMessage(err) });
    if (!(p.deadlineIsOutcome && err instanceof PhaseTimeout)) throw err;
  } finally {
    clearTimeout(timer);
    interrupt?.dispose();
  }
}

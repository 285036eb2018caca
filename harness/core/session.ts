/**
 * A Session owns what a drill acquired and undoes it in reverse order, exactly once, whatever
 * happened: each resource registers its undo the moment it is acquired, so there is no cleanup
 * code to repeat at every exit. Built on AsyncDisposableStack (Node 24): `await using` ends it.
 *
 * The ledger stays the crash-safe record (written before each change, replayed by
 * `pnpm chaos cleanup` after a SIGKILL); the session is the in-process undo of the same things.
 *
 * @example
 * await using session = new Session();
 * const stack = session.adopt(await platform.up(opts), (s) => s.down());
 * session.defer(() => rm(dir, { recursive: true, force: true }));
 */

import { errorMessage } from './errors.ts';

export class Session implements AsyncDisposable {
  private stack = new AsyncDisposableStack();
  private readonly onAbandonedUndoError: (err: Error) => void;

  /**
   * `onAbandonedUndoError`: where the failures of an `await using` disposal go. That disposal
   * runs on the way out of a failed acquisition, whose own error is the one to report.
   */
  constructor(onAbandonedUndoError: (err: Error) => void = () => {}) {
    this.onAbandonedUndoError = onAbandonedUndoError;
  }

  /** Keep `value` and register its undo, run when the session ends. */
  adopt<T>(value: T, undo: (value: T) => unknown): T {
    return this.stack.adopt(value, async (v) => {
      await undo(v);
    });
  }

  /** Register an undo for something already done. */
  defer(undo: () => unknown): void {
    this.stack.defer(async () => {
      await undo();
    });
  }

  /**
   * Hand everything registered so far to a new session (the caller's, on success) and leave
   * this one empty: acquisition that fails halfway undoes its part; one that succeeds passes
   * it on to whoever ends the resource.
   */
  move(): Session {
    const next = new Session();
    next.stack = this.stack.move();
    return next;
  }

  /**
   * Undo everything, last acquired first. Every undo runs; a single failure is rethrown as it
   * is, several as one Error that names them all.
   */
  async close(): Promise<void> {
    try {
      await this.stack.disposeAsync();
    } catch (err) {
      const all = failures(err);
      throw all.length === 1 ? all[0] : new Error(all.map(errorMessage).join('; '));
    }
  }

  /** The end of an `await using` block: undo, and hand failures to onAbandonedUndoError. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close().catch((err: unknown) =>
      this.onAbandonedUndoError(err instanceof Error ? err : new Error(String(err))),
    );
  }
}

/** The errors inside a SuppressedError chain, oldest first. */
function failures(err: unknown): unknown[] {
  if (err instanceof SuppressedError) return [...failures(err.suppressed), ...failures(err.error)];
  return [err];
}

/**
 * `resource`, with its `down()` closing `session` after it, whether or not the down succeeded:
 * what an acquisition held for the resource's lifetime (a lock) ends with it.
 */
export function downThen<T extends { down(): Promise<void> }>(resource: T, session: Session): T {
  const down = resource.down.bind(resource);
  return Object.assign(resource, {
    down: async () => {
      try {
        await down();
      } finally {
        await session.close();
      }
    },
  });
}

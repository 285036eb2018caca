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

  /** Undo everything, last acquired first; every undo runs, and all failures are reported in one Error. */
  async close(): Promise<void> {
    try {
      await this.stack.disposeAsync();
    } catch (err) {
      throw new Error(failures(err).join('; '));
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** The messages inside a SuppressedError chain (the disposal's error and the ones it replaced). */
function failures(err: unknown): string[] {
  if (err instanceof SuppressedError) return [...failures(err.suppressed), ...failures(err.error)];
  return [errorMessage(err)];
}

/**
 * Errors the user can act on. The CLI prints `message` as one line and exits 2;
 * anything else is a harness bug and also exits 2, with the stack only under --verbose.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
}

/** A phase ran past its deadline. */
export class PhaseTimeout extends Error {
  override readonly name = 'PhaseTimeout';
  readonly phase: string;
  readonly timeoutMs: number;
  constructor(phase: string, timeoutMs: number) {
    super(`phase ${phase} timed out after ${timeoutMs} ms`);
    this.phase = phase;
    this.timeoutMs = timeoutMs;
  }
}

export const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));

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

/**
 * The message with its cause's, which fetch keeps apart: "fetch failed" alone does not say
 * whether the connection was refused, reset or timed out, nor to which address.
 *
 * @example
 * messageWithCause(err) // -> 'fetch failed (connect ECONNREFUSED 127.0.0.1:30080)'
 */
export function messageWithCause(err: unknown): string {
  const base = errorMessage(err);
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  const why = cause instanceof Error ? cause.message : undefined;
  return why && !base.includes(why) ? `${base} (${why.slice(0, 200)})` : base;
}

/**
 * Shared CLI plumbing: the exit-code contract and one-line errors.
 *   0  every verdict met its targets
 *   1  a target was missed or a drill was not resolved
 *   2  bad input or harness error (nothing was changed, or everything was restored)
 * 130 / 143: interrupted by SIGINT / SIGTERM, after restoring.
 */
import { errorMessage, UserError } from '../core/errors.ts';

export const EXIT = { ok: 0, missed: 1, error: 2 } as const;

/** Run a CLI body; print errors as one line (stack only with --verbose) and exit with the contract's code. */
export async function runCli(body: () => Promise<number>): Promise<never> {
  const verbose = process.argv.includes('--verbose');
  let code: number;
  try {
    code = await body();
  } catch (err) {
    const prefix = err instanceof UserError ? 'error' : 'internal error';
    process.stderr.write(`firedrill: ${prefix}: ${errorMessage(err)}\n`);
    if (verbose && err instanceof Error && !(err instanceof UserError))
      process.stderr.write(`${err.stack}\n`);
    code = EXIT.error;
  }
  process.exit(code);
}

/** Parse a positive integer option or throw a UserError naming the flag. */
export function positiveInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1)
      throw new UserError(`${flag}: expected a positive integer, got "${value}"`);
    return n;
  };
}

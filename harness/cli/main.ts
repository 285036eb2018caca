/**
 * Shared CLI plumbing: the exit-code contract and one-line errors.
 *   0  every verdict met its targets
 *   1  a target was missed or a drill was not resolved
 *   2  bad input or harness error (nothing was changed, or everything was restored)
 * 129 / 130 / 143: interrupted by SIGHUP / SIGINT / SIGTERM, after restoring.
 * 70  (`pnpm scenario`) the harness crashed mid-drill (uncaught exception, unhandled
 *     rejection), after restoring.
 */
import { type Command, CommanderError } from 'commander';
import { errorMessage, UserError } from '../core/errors.ts';

export const EXIT = { ok: 0, missed: 1, error: 2 } as const;

export interface CliOptions {
  /**
   * Error lines read `<name>: <message>` instead of `firedrill: error: <message>`
   * (`pnpm report` and `pnpm runbook` name themselves; their users and tests read that).
   */
  readonly name?: string;
}

/**
 * Run a CLI body; print errors as one line (stack only with --verbose or FIREDRILL_VERBOSE)
 * and exit with the contract's code.
 */
export async function runCli(body: () => Promise<number>, opts: CliOptions = {}): Promise<never> {
  keepRunningWhenOutputCloses();
  const verbose = process.argv.includes('--verbose') || Boolean(process.env['FIREDRILL_VERBOSE']);
  let code: number;
  try {
    code = await body();
  } catch (err) {
    const prefix = opts.name ?? `firedrill: ${err instanceof UserError ? 'error' : 'internal error'}`;
    process.stderr.write(`${prefix}: ${errorMessage(err)}\n`);
    if (verbose && err instanceof Error && !(err instanceof UserError))
      process.stderr.write(`${err.stack}\n`);
    code = EXIT.error;
  }
  await drained([process.stdout, process.stderr]);
  process.exit(code);
}

/**
 * Node writes to a pipe asynchronously: exiting with writes still queued cuts the output at the
 * pipe's buffer (64 KB), so `pnpm scenario --all --json | jq` read a truncated record. An empty
 * write calls back once everything before it is out; bounded, for a reader that never reads.
 */
async function drained(streams: readonly NodeJS.WriteStream[], boundMs = 30_000): Promise<void> {
  let bound: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(
      streams.map((s) => new Promise<void>((r) => (s.writableLength > 0 ? s.write('', () => r()) : r()))),
    ),
    new Promise<void>((r) => {
      bound = setTimeout(r, boundMs).unref();
    }),
  ]);
  clearTimeout(bound);
}

/**
 * Parse `argv` with a commander program built with `exitOverride()` whose actions keep their
 * exit code where `code` reads it. Commander has printed its own usage errors already: they
 * exit 2, and --help exits 0.
 */
export async function parseProgram(
  program: Command,
  argv: readonly string[],
  code: () => number,
): Promise<number> {
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.error;
    throw err;
  }
  return code();
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

/**
 * A reader that goes away (`pnpm scenario db-outage | head`, a closed terminal) turns every
 * later write into EPIPE, which Node throws as an uncaught error: the harness would die
 * mid-drill and leave the fault in place. Output nobody reads is dropped instead, so the
 * drill still restores the system.
 */
function keepRunningWhenOutputCloses(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
    });
  }
}

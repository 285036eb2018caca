/** Minimal structured logger. Progress for humans goes to stderr; stdout stays for results. */
export interface Logger {
  info(msg: string, ctx?: Record<string, unknown>): void;
  warn(msg: string, ctx?: Record<string, unknown>): void;
  debug(msg: string, ctx?: Record<string, unknown>): void;
}

const fmt = (ctx?: Record<string, unknown>) =>
  ctx && Object.keys(ctx).length ? ' ' + JSON.stringify(ctx) : '';

export const stderrLogger = (opts: { verbose?: boolean } = {}): Logger => ({
  info: (m, c) => process.stderr.write(`${m}${fmt(c)}\n`),
  warn: (m, c) => process.stderr.write(`warning: ${m}${fmt(c)}\n`),
  debug: (m, c) => {
    if (opts.verbose) process.stderr.write(`debug: ${m}${fmt(c)}\n`);
  },
});

export const silentLogger: Logger = { info: () => {}, warn: () => {}, debug: () => {} };

/** Collects lines; for tests that assert on what the harness said. */
export const memoryLogger = (): Logger & { lines: string[] } => {
  const lines: string[] = [];
  return {
    lines,
    info: (m, c) => lines.push(m + fmt(c)),
    warn: (m, c) => lines.push('warning: ' + m + fmt(c)),
    debug: () => {},
  };
};

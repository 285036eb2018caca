/**
 * Checks on the arguments of allowed read-only programs: they may read only the step's own
 * files (no /etc/shadow), `tee` may not write one, and awk may only filter.
 */

import type { Refusal } from './refusal.ts';
import type { ShellWord } from './shell.ts';

/** A path outside the step's own working directory: absolute, home, or climbing out. */
export const hostPath = (p: string): boolean => /^[/~]/.test(p) || /(^|\/)\.\.(\/|$)/.test(p);

const SAFE_TARGETS = new Set(['/dev/null', '/dev/stdout', '/dev/stderr', '']);

/** Programs whose non-option arguments are files they read (grep and jq: after the pattern). */
const FILE_READERS: Record<string, number> = {
  cat: 0,
  head: 0,
  tail: 0,
  wc: 0,
  sort: 0,
  uniq: 0,
  base64: 0,
  grep: 1,
  egrep: 1,
  fgrep: 1,
  jq: 1,
  awk: 1,
  tee: 0,
};

/** What turns awk from a filter into a shell: running commands, writing or reading files. */
const AWK_ESCAPES = /\bsystem\s*\(|\|\s*getline|\bgetline\s*<|[^>]>{1,2}\s*["$a-zA-Z]|print[^;}]*\|/;

/** An awk program that filters only. */
export function awkRefusals(rest: readonly ShellWord[], base: number): Refusal[] {
  const out: Refusal[] = [];
  const program = rest.find((w) => !w.text.startsWith('-'));
  if (rest.some((w) => /^-f/.test(w.text)) || (program && AWK_ESCAPES.test(program.text)))
    out.push({
      rule: 'host-program',
      offset: base + (program ?? rest[0])!.start,
      message:
        'refused: this awk program runs commands or touches files (system, getline, print >, -f); keep awk to filtering',
    });
  return out;
}

/** File arguments of cat, grep, jq, tee, ...: the step's own files only. */
export function fileArgRefusals(program: string, rest: readonly ShellWord[], base: number): Refusal[] {
  const out: Refusal[] = [];
  const skip = FILE_READERS[program];
  if (skip === undefined) return out;
  const positionals = rest.filter((w) => !w.text.startsWith('-') || w.text === '-');
  // grep -e PATTERN / jq -f FILE: the pattern is an option, every positional is a file.
  const patternGiven = rest.some((w) => /^-(e|f)$|^--(regexp|file|from-file)/.test(w.text));
  for (const w of positionals.slice(patternGiven ? 0 : skip)) {
    if (program === 'tee' ? !SAFE_TARGETS.has(w.text) : hostPath(w.text) && w.text !== '/dev/null')
      out.push({
        rule: program === 'tee' ? 'file-write' : 'host-file',
        offset: base + w.start,
        message:
          program === 'tee'
            ? `refused: \`tee ${w.text}\` writes a file on the host`
            : `refused: \`${program} ${w.text}\` reads a file of the host; a step may read only its own working directory`,
      });
  }
  return out;
}

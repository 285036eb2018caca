/**
 * Shell text across source lines: is a command finished, where does a here-document end,
 * which `# comment` trails a line, and which `$(...)` bodies a command contains.
 */

import { splitSegments } from './shell.ts';
import { closeBacktick, closeBrace, closeSingle, skipQuoted, skipSubst } from './shell-scan.ts';

/** Words that open and close shell compound commands, for "is this command finished?". */
const OPENERS: Record<string, string> = {
  for: 'done',
  while: 'done',
  until: 'done',
  select: 'done',
  if: 'fi',
  case: 'esac',
};
const CLOSERS = new Set(Object.values(OPENERS));

/**
 * Whether more source lines belong to this command: a trailing `\`, `|`, `&&`, `||`, an
 * unclosed quote or `$(`, or an open for/while/if/case.
 */
export function needsContinuation(command: string): boolean {
  const t = command.replace(/\s+$/, '');
  if (/\\$/.test(t) || /(\|\||&&|\|)$/.test(t)) return true;
  let depth = 0;
  let i = 0;
  while (i < t.length) i = skipQuoted(t, i) ?? i + 1;
  if (i > t.length) return true;
  for (const seg of splitSegments(t)) {
    for (const [k, w] of seg.words.entries()) {
      if (w.quoted) continue;
      // Only words in command position open or close a compound command.
      if (k === 0 || seg.words[k - 1]?.text === 'do' || seg.words[k - 1]?.text === 'then') {
        if (OPENERS[w.text]) depth++;
        else if (CLOSERS.has(w.text)) depth--;
      }
    }
  }
  return depth > 0;
}

/** The here-document delimiter a line opens (`<<EOF`, `<<-'EOF'`), if any. */
export const heredocDelimiter = (line: string): string | undefined =>
  /<<-?\s*['"]?([A-Za-z_][A-Za-z0-9_]*)['"]?/.exec(line)?.[1];

/** Cut a trailing `# comment` (a `#` that starts a word outside quotes); returns [command, comment]. */
export function splitTrailingComment(line: string): [string, string | undefined] {
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === '$' && line[i + 1] === '{') i = closeBrace(line, i + 2);
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) {
      return [line.slice(0, i).trimEnd(), line.slice(i + 1).trim()];
    } else i = skipQuoted(line, i) ?? i + 1;
  }
  return [line, undefined];
}

/** Bodies of the outermost `$(...)` and backtick substitutions, with their offsets in the command. */
export function substitutions(command: string): { body: string; offset: number }[] {
  const out: { body: string; offset: number }[] = [];
  let i = 0;
  while (i < command.length) {
    const c = command[i]!;
    if (c === '\\') i += 2;
    else if (c === "'") i = closeSingle(command, i + 1);
    else if (c === '$' && command[i + 1] === '(' && command[i + 2] !== '(') {
      const j = skipSubst(command, i + 2);
      out.push({ body: command.slice(i + 2, Math.min(j, command.length + 1) - 1), offset: i + 2 });
      i = j;
    } else if (c === '`') {
      const j = closeBacktick(command, i + 1);
      out.push({ body: command.slice(i + 1, j - 1), offset: i + 1 });
      i = j;
    } else i++;
  }
  return out;
}

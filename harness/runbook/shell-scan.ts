/**
 * Low-level scanning of shell text: where a quote, `$(...)`, backtick or `${...}` ends.
 * Shared by the word splitter and the line-continuation logic so both agree on quoting.
 */

// The close* helpers return the index just past the closing mark, or length + 1 when the
// construct is still open at the end of the text (so callers can tell "unclosed" apart).

/**
 * When an escape, a quote, a backtick or a `$(` starts at `i`, the index just past its end
 * (length + 1 while it is still open); otherwise undefined. The one definition of "quoted"
 * for every scanner of unquoted text.
 */
export function skipQuoted(s: string, i: number): number | undefined {
  const c = s[i];
  if (c === '\\') return i + 2;
  if (c === "'") return closeSingle(s, i + 1);
  if (c === '"') return closeDouble(s, i + 1);
  if (c === '`') return closeBacktick(s, i + 1);
  if (c === '$' && s[i + 1] === '(') return skipSubst(s, i + 2);
  return undefined;
}

/** Index just past the `)` that closes a `$(` whose body starts at `i`. Quotes inside are honoured. */
export function skipSubst(s: string, i: number): number {
  let depth = 1;
  while (i < s.length) {
    const c = s[i]!;
    const past = skipQuoted(s, i);
    if (past !== undefined) i = past;
    else if (c === '(') {
      depth++;
      i++;
    } else if (c === ')') {
      depth--;
      i++;
      if (depth === 0) return i;
    } else i++;
  }
  return s.length + 1;
}

export const closeSingle = (s: string, i: number): number => {
  const j = s.indexOf("'", i);
  return j < 0 ? s.length + 1 : j + 1;
};

export function closeDouble(s: string, i: number): number {
  while (i < s.length) {
    const c = s[i]!;
    if (c === '\\') i += 2;
    else if (c === '"') return i + 1;
    else if (c === '$' && s[i + 1] === '(') i = skipSubst(s, i + 2);
    else if (c === '`') i = closeBacktick(s, i + 1);
    else i++;
  }
  return s.length + 1;
}

export function closeBacktick(s: string, i: number): number {
  while (i < s.length) {
    if (s[i] === '\\') i += 2;
    else if (s[i] === '`') return i + 1;
    else i++;
  }
  return s.length + 1;
}

export function closeBrace(s: string, i: number): number {
  const j = s.indexOf('}', i);
  return j < 0 ? s.length + 1 : j + 1;
}

export const unquoteDouble = (body: string): string => body.replace(/\\([\\"$`])/g, '$1');

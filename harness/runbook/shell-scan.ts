/**
 * Low-level scanning of shell text: where a quote, `$(...)`, backtick or `${...}` ends.
 * Shared by the word splitter and the line-continuation logic so both agree on quoting.
 */

// The close* helpers return the index just past the closing mark, or length + 1 when the
// construct is still open at the end of the text (so callers can tell "unclosed" apart).

/** Index just past the `)` that closes a `$(` whose body starts at `i`. Quotes inside are honoured. */
export function skipSubst(s: string, i: number): number {
  let depth = 1;
  while (i < s.length) {
    const c = s[i]!;
    if (c === '\\') i += 2;
    else if (c === "'") i = closeSingle(s, i + 1);
    else if (c === '"') i = closeDouble(s, i + 1);
    else if (c === '`') i = closeBacktick(s, i + 1);
    else if (c === '$' && s[i + 1] === '(') {
      i = skipSubst(s, i + 2);
    } else if (c === '(') {
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

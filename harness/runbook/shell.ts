/**
 * A small, honest reader of POSIX shell command lines: words with their offsets, pipelines
 * and lists, quotes, `$(...)`, backticks and `${...}`. It never executes or expands anything;
 * it tells classification, translation and lint what a command says, and where.
 */

export interface ShellWord {
  /** Source text as written, quotes included. */
  readonly raw: string;
  /** Quotes removed; substitutions ($(...), `...`, $VAR) kept as written. */
  readonly text: string;
  /** Offsets into the command. */
  readonly start: number;
  readonly end: number;
  readonly quoted: boolean;
  /** Contains $(...), backticks or a variable: its value is only known at run time. */
  readonly dynamic: boolean;
}

export interface Redirect {
  readonly op: string;
  readonly target: string;
}

export type ListOperator = '|' | '|&' | '||' | '&&' | ';' | '&';

export interface Segment {
  readonly words: readonly ShellWord[];
  readonly redirects: readonly Redirect[];
  /** Operator that ends this segment; null for the last one. */
  readonly next: ListOperator | null;
}

/** Unquoted keywords a segment's program can follow (`do curl ...`, `then kubectl ...`). */
// biome-ignore format: one short line reads better than nine
export const KEYWORDS_BEFORE_PROGRAM: ReadonlySet<string> = new Set(['do', 'then', 'else', 'elif', 'if', 'while', 'until', '!', '{']);

import {
  closeBacktick,
  closeBrace,
  closeDouble,
  closeSingle,
  skipSubst,
  unquoteDouble,
} from './shell-scan.ts';

/** Split a command into list/pipeline segments of words. A `#` starting a word ends the command. */
export function splitSegments(command: string): Segment[] {
  const segments: Segment[] = [];
  let words: ShellWord[] = [];
  let redirects: Redirect[] = [];
  let pendingRedirect: string | null = null;
  let raw = '';
  let text = '';
  let start = -1;
  let quoted = false;
  let dynamic = false;

  const endWord = (at: number) => {
    if (start < 0) return;
    const word: ShellWord = { raw, text, start, end: at, quoted, dynamic };
    if (pendingRedirect !== null) {
      redirects.push({ op: pendingRedirect, target: word.text });
      pendingRedirect = null;
    } else words.push(word);
    raw = '';
    text = '';
    start = -1;
    quoted = false;
    dynamic = false;
  };
  const endSegment = (next: ListOperator | null) => {
    if (words.length || redirects.length || next === null) segments.push({ words, redirects, next });
    words = [];
    redirects = [];
  };
  const append = (from: number, to: number, value: string) => {
    if (start < 0) start = from;
    raw += command.slice(from, to);
    text += value;
  };

  let i = 0;
  while (i < command.length) {
    const c = command[i]!;
    if (c === ' ' || c === '\t') {
      endWord(i);
      i++;
    } else if (c === '\n' || c === ';') {
      endWord(i);
      endSegment(';');
      i++;
    } else if (c === '#' && start < 0) {
      break;
    } else if (c === '|' || (c === '&' && command[i + 1] !== '>')) {
      endWord(i);
      const two = command.slice(i, i + 2);
      const op: ListOperator = two === '||' || two === '&&' || two === '|&' ? two : (c as '|' | '&');
      endSegment(op);
      i += op.length;
    } else if (c === '>' || c === '<' || (c === '&' && command[i + 1] === '>')) {
      // `2>&1`, `>/dev/null`, `&>`: a leading fd number belongs to the operator.
      let op = /^\d+$/.test(text) && !quoted ? raw : '';
      if (op) {
        raw = '';
        text = '';
        start = -1;
      } else endWord(i);
      const m = /^(&>>?|[<>]{1,2}&?-?\d*|<<-?|<<<)/.exec(command.slice(i))!;
      op += m[0];
      i += m[0].length;
      if (/&\d+$/.test(op)) redirects.push({ op, target: '' });
      else pendingRedirect = op;
    } else if (c === "'") {
      const j = closeSingle(command, i + 1);
      append(i, j, command.slice(i + 1, j - 1));
      quoted = true;
      i = j;
    } else if (c === '"') {
      const j = closeDouble(command, i + 1);
      const body = command.slice(i + 1, j - 1);
      append(i, j, unquoteDouble(body));
      quoted = true;
      if (body.includes('$') || body.includes('`')) dynamic = true;
      i = j;
    } else if (c === '\\') {
      append(i, i + 2, command[i + 1] ?? '');
      i += 2;
    } else if (c === '$' && command[i + 1] === '(') {
      const j = skipSubst(command, i + 2);
      append(i, j, command.slice(i, j));
      dynamic = true;
      i = j;
    } else if (c === '$' && command[i + 1] === '{') {
      const j = closeBrace(command, i + 2);
      append(i, j, command.slice(i, j));
      dynamic = true;
      i = j;
    } else if (c === '`') {
      const j = closeBacktick(command, i + 1);
      append(i, j, command.slice(i, j));
      dynamic = true;
      i = j;
    } else {
      if (c === '$' && /[A-Za-z_0-9?#@*!$-]/.test(command[i + 1] ?? '')) dynamic = true;
      append(i, i + 1, c);
      i++;
    }
  }
  endWord(command.length);
  endSegment(null);
  return segments.filter((s) => s.words.length > 0 || s.redirects.length > 0);
}

/** A `$NAME` or `${NAME...}` expansion outside single quotes. */
export interface Expansion {
  readonly name: string;
  readonly offset: number;
  /** `${X:-default}` and friends supply their own value. */
  readonly hasDefault: boolean;
}

/**
 * Every parameter expansion the shell would perform, wherever it sits: top level, double
 * quotes, `$(...)` bodies. Single-quoted text (e.g. jsonpath '{.items[0]}') is not expanded.
 */
export function scanExpansions(command: string): Expansion[] {
  const out: Expansion[] = [];
  // Contexts where single quotes quote: top level and command substitutions.
  const stack: ('top' | 'dq' | 'subst')[] = ['top'];
  let i = 0;
  while (i < command.length) {
    const c = command[i]!;
    const ctx = stack[stack.length - 1]!;
    if (c === '\\') i += 2;
    else if (c === "'" && ctx !== 'dq') i = closeSingle(command, i + 1);
    else if (c === '"') {
      if (ctx === 'dq') stack.pop();
      else stack.push('dq');
      i++;
    } else if (c === '$' && command[i + 1] === '(' && command[i + 2] === '(') {
      // Arithmetic: names inside need no `$` and are not placeholders of their own.
      i = skipSubst(command, i + 3) + 1;
    } else if (c === '$' && command[i + 1] === '(') {
      stack.push('subst');
      i += 2;
    } else if (c === ')' && ctx === 'subst') {
      stack.pop();
      i++;
    } else if (c === '$' && command[i + 1] === '{') {
      const j = closeBrace(command, i + 2);
      const body = command.slice(i + 2, j - 1);
      const m = /^#?([A-Za-z_][A-Za-z0-9_]*)(.*)$/s.exec(body);
      if (m) out.push({ name: m[1]!, offset: i, hasDefault: /^:?[-=+]/.test(m[2]!) });
      i = j;
    } else if (c === '$') {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(command.slice(i + 1));
      if (m) out.push({ name: m[0], offset: i, hasDefault: false });
      i += 1 + (m ? m[0].length : 1);
    } else i++;
  }
  return out;
}

/** Names a command assigns for what follows: `X=..`, `export X=..`, `for X in`, `read X`. */
export function assignedNames(command: string): string[] {
  const names = new Set<string>();
  for (const seg of splitSegments(command)) {
    const w = seg.words.map((x) => x.text);
    let k = 0;
    while (k < w.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(w[k]!)) names.add(w[k++]!.split('=')[0]!);
    const head = w[k];
    if (head === 'export' || head === 'local' || head === 'declare' || head === 'readonly') {
      for (const x of w.slice(k + 1)) {
        const m = /^([A-Za-z_][A-Za-z0-9_]*)(=|$)/.exec(x);
        if (m) names.add(m[1]!);
      }
    } else if ((head === 'for' || head === 'select') && w[k + 1]) names.add(w[k + 1]!);
    else if (head === 'read') for (const x of w.slice(k + 1)) if (!x.startsWith('-')) names.add(x);
  }
  return [...names];
}

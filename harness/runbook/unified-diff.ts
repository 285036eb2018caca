/**
 * A unified diff from line edits we made ourselves: we know exactly which lines change, so
 * there is nothing to search for (no LCS); the writer only lays the edits out as hunks with
 * three lines of context, the format `patch` and `git apply` read.
 */

/** Edits to a text, by 1-based line of the original. */
export interface LineEdits {
  /** New text for a line (a single line; no newline). */
  readonly replace: ReadonlyMap<number, string>;
  /** Lines to insert before a line; `lines + 1` inserts at the end. */
  readonly insertBefore: ReadonlyMap<number, readonly string[]>;
}

interface Entry {
  readonly op: ' ' | '-' | '+';
  readonly text: string;
  /** Old and new lines consumed before this entry. */
  readonly oldAt: number;
  readonly newAt: number;
}

const CONTEXT = 3;

/** Split into lines; a final newline ends the last line rather than starting an empty one. */
export const splitLines = (text: string): string[] =>
  text === '' ? [] : (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');

function entriesOf(old: readonly string[], edits: LineEdits): Entry[] {
  const out: Entry[] = [];
  let oldAt = 0;
  let newAt = 0;
  const add = (op: Entry['op'], text: string) => {
    out.push({ op, text, oldAt, newAt });
    if (op !== '+') oldAt++;
    if (op !== '-') newAt++;
  };
  for (let line = 1; line <= old.length + 1; line++) {
    for (const text of edits.insertBefore.get(line) ?? []) add('+', text);
    if (line > old.length) break;
    const replacement = edits.replace.get(line);
    if (replacement === undefined || replacement === old[line - 1]) add(' ', old[line - 1]!);
    else {
      add('-', old[line - 1]!);
      add('+', replacement);
    }
  }
  return out;
}

const range = (start: number, count: number) => (count === 1 ? `${start}` : `${start},${count}`);

/**
 * The diff of `text` under `edits`, with `path` in both file headers; '' when nothing changes.
 *
 * @example
 * unifiedDiff('a\nb\n', { replace: new Map([[2, 'c']]), insertBefore: new Map() }, 'f.md')
 * // -> '--- f.md\n+++ f.md\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n'
 */
export function unifiedDiff(text: string, edits: LineEdits, path: string): string {
  const old = splitLines(text);
  const entries = entriesOf(old, edits);
  const changed = entries.flatMap((e, i) => (e.op === ' ' ? [] : [i]));
  if (changed.length === 0) return '';
  const hunks: { from: number; to: number }[] = [];
  for (const i of changed) {
    const last = hunks.at(-1);
    if (last && i - CONTEXT <= last.to + 1) last.to = Math.min(entries.length - 1, i + CONTEXT);
    else hunks.push({ from: Math.max(0, i - CONTEXT), to: Math.min(entries.length - 1, i + CONTEXT) });
  }
  const out = [`--- ${path}`, `+++ ${path}`];
  const noNewline = !text.endsWith('\n');
  for (const h of hunks) {
    const body = entries.slice(h.from, h.to + 1);
    const oldCount = body.filter((e) => e.op !== '+').length;
    const newCount = body.filter((e) => e.op !== '-').length;
    const first = body[0]!;
    // an empty side names the line it sits after, as diff(1) does
    const oldStart = oldCount ? first.oldAt + 1 : first.oldAt;
    const newStart = newCount ? first.newAt + 1 : first.newAt;
    out.push(`@@ -${range(oldStart, oldCount)} +${range(newStart, newCount)} @@`);
    for (const e of body) {
      out.push(`${e.op}${e.text}`);
      // a file without a final newline keeps it that way; only the last old line can lack one
      if (noNewline && e.op !== '+' && e.oldAt === old.length - 1) out.push('\\ No newline at end of file');
    }
  }
  return `${out.join('\n')}\n`;
}

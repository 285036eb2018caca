/**
 * Runbook Markdown as a flat list of blocks (headings, code, list items, tables, paragraphs,
 * HTML), each with its 1-based source line, read by a CommonMark parser.
 *
 * Why markdown-it (not micromark/mdast, not our own scanner):
 * - CommonMark-exact block structure, so a command inside an HTML comment is HTML, a fence in
 *   a blockquote or list item is code, and setext headings / numbered lists follow the spec
 *   rather than our guesses.
 * - Every block token carries its source line range (`map`), including fences, whose content
 *   lines are contiguous; that is all a finding needs (file:line), and keeps the line of every
 *   code line without a position-per-character tree.
 * - GFM tables are built in (the severity and escalation tables are read from them), no plugins.
 * - A flat token stream instead of a tree: walking it needs no recursion, and its `maxNesting`
 *   bounds how deep a pathological list/blockquote goes (limits.test.ts: a 5 MB runbook with
 *   20 000 nested levels parses in about two seconds on a loaded machine). mdast would give
 *   column positions we do not use, and a tree whose walk we would have to make iterative.
 * - Small: six dependencies of its own, no native code.
 *
 * Two things CommonMark does not know are handled around it: MkDocs/Python-Markdown
 * admonitions (`!!! note` with an indented body) are un-indented first so their code is code,
 * and nesting deeper than the bound is reported (markdown-it stops reading there silently).
 */
import MarkdownIt, { type Token } from 'markdown-it';

export interface SourceLine {
  readonly text: string;
  readonly line: number;
}

/** Where a code block sits, when that is not plain document flow. */
export type Container = 'blockquote' | 'admonition' | 'list';

export type Block =
  | { readonly type: 'heading'; readonly level: number; readonly text: string; readonly line: number }
  | {
      readonly type: 'code';
      /** Info string's first word, lower-case; '' when the fence has none (or the block is indented). */
      readonly lang: string;
      readonly line: number;
      readonly lines: readonly SourceLine[];
      readonly closed: boolean;
      readonly container?: Container;
    }
  | {
      readonly type: 'list-item';
      readonly ordered: boolean;
      readonly text: string;
      readonly line: number;
    }
  | {
      readonly type: 'table';
      readonly line: number;
      readonly header: readonly string[];
      readonly rows: readonly { readonly cells: readonly string[]; readonly line: number }[];
    }
  | { readonly type: 'paragraph'; readonly text: string; readonly line: number }
  /** Raw HTML, e.g. a comment; never a source of steps. */
  | { readonly type: 'html'; readonly text: string; readonly line: number }
  /** Content markdown-it did not read because it nests deeper than MAX_NESTING. */
  | { readonly type: 'too-deep'; readonly line: number; readonly depth: number };

/** Lists and blockquotes deeper than this are not read; real runbooks nest a handful. */
export const MAX_NESTING = 40;

const parser = new MarkdownIt({ html: true, linkify: false, typographer: false, maxNesting: MAX_NESTING });

const ADMONITION = /^( {0,3})(?:!!!|\?\?\?\+?)[ \t]*[\w-]+/;

/**
 * Un-indent the bodies of `!!! note` admonitions by four columns, keeping every line where it
 * is, so a fence inside one is a fence. Nested admonitions are handled by the same pass.
 */
function unindentAdmonitions(lines: string[]): { lines: string[]; admonitionLines: Set<number> } {
  // Columns only, no slicing inside the loops: nested admonitions rescan their bodies.
  const indent = lines.map((s) => s.length - s.trimStart().length);
  const blank = lines.map((s) => s.trim() === '');
  const strip = new Array<number>(lines.length).fill(0);
  const inside = new Set<number>();
  for (let i = 0; i < lines.length; i++) {
    if (blank[i] || indent[i]! - strip[i]! > 3) continue;
    const current = lines[i]!.slice(strip[i]);
    const m = ADMONITION.exec(current);
    if (!m || current.includes('\t')) continue;
    const bodyIndent = m[1]!.length + 4;
    let j = i + 1;
    while (j < lines.length && (blank[j] || indent[j]! - strip[j]! >= bodyIndent)) j++;
    for (let k = i + 1; k < j; k++) {
      if (!blank[k]) strip[k]! += 4;
      inside.add(k + 1);
    }
  }
  return {
    lines: lines.map((l, i) => (strip[i] ? l.slice(strip[i]) : l)),
    admonitionLines: inside,
  };
}

const CONTAINERS = new Set(['blockquote_open', 'bullet_list_open', 'ordered_list_open', 'list_item_open']);

const joinLines = (s: string) =>
  s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');

/** Lines of a code token's content, each with its source line. */
function codeLines(t: Token, firstContentLine: number): SourceLine[] {
  const body = t.content.endsWith('\n') ? t.content.slice(0, -1) : t.content;
  if (body === '' && t.content === '') return [];
  return body.split('\n').map((text, k) => ({ text, line: firstContentLine + k }));
}

/** Split Markdown into blocks. Never throws: anything markdown-it reads has a place. */
export function scanBlocks(text: string): Block[] {
  const { lines, admonitionLines } = unindentAdmonitions(text.replace(/\r\n?/g, '\n').split('\n'));
  const tokens = parser.parse(lines.join('\n'), {});
  const blocks: Block[] = [];
  const containers: Container[] = [];
  let tooDeep: { line: number; depth: number } | undefined;
  // A list item's first paragraph is the item's text; later paragraphs are paragraphs.
  let pendingItem: { ordered: boolean; line: number } | undefined;
  const orderedStack: boolean[] = [];

  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const line = (t.map?.[0] ?? 0) + 1;
    // markdown-it stops reading a container's content past maxNesting without a word.
    if (!tooDeep && t.nesting === 1 && t.level >= MAX_NESTING - 2 && CONTAINERS.has(t.type))
      tooDeep = { line, depth: t.level + 1 };
    switch (t.type) {
      case 'blockquote_open':
        containers.push('blockquote');
        break;
      case 'bullet_list_open':
      case 'ordered_list_open':
        orderedStack.push(t.type === 'ordered_list_open');
        break;
      case 'bullet_list_close':
      case 'ordered_list_close':
        orderedStack.pop();
        break;
      case 'list_item_open':
        containers.push('list');
        pendingItem = { ordered: orderedStack[orderedStack.length - 1] ?? false, line };
        break;
      case 'blockquote_close':
        containers.pop();
        break;
      case 'list_item_close':
        if (pendingItem) blocks.push({ type: 'list-item', ...pendingItem, text: '' });
        pendingItem = undefined;
        containers.pop();
        break;
      case 'heading_open': {
        const inline = tokens[i + 1];
        blocks.push({
          type: 'heading',
          level: Number(t.tag.slice(1)),
          text: inline?.content.trim() ?? '',
          line,
        });
        break;
      }
      case 'paragraph_open': {
        const content = joinLines(tokens[i + 1]?.content ?? '');
        if (pendingItem) blocks.push({ type: 'list-item', ...pendingItem, text: content });
        else blocks.push({ type: 'paragraph', text: content, line });
        pendingItem = undefined;
        break;
      }
      case 'fence':
      case 'code_block': {
        if (pendingItem) blocks.push({ type: 'list-item', ...pendingItem, text: '' });
        pendingItem = undefined;
        const [start, end] = t.map ?? [0, 0];
        const fenced = t.type === 'fence';
        const body = codeLines(t, fenced ? start + 2 : start + 1);
        const container: Container | undefined = admonitionLines.has(line)
          ? 'admonition'
          : containers[containers.length - 1];
        blocks.push({
          type: 'code',
          lang: fenced ? (t.info.trim().split(/\s+/)[0] ?? '').toLowerCase() : '',
          line,
          lines: body,
          // A closed fence spans its opening line, the body and the closing line.
          closed: !fenced || end - start - 1 > body.length,
          ...(container ? { container } : {}),
        });
        break;
      }
      case 'html_block':
        blocks.push({ type: 'html', text: t.content, line });
        break;
      case 'table_open':
        i = readTable(tokens, i, blocks);
        break;
    }
  }
  if (tooDeep) blocks.push({ type: 'too-deep', ...tooDeep });
  return blocks;
}

/** A GFM table from `table_open` to `table_close`; returns the index of `table_close`. */
function readTable(tokens: readonly Token[], open: number, blocks: Block[]): number {
  const header: string[] = [];
  const rows: { cells: string[]; line: number }[] = [];
  let row: { cells: string[]; line: number } | undefined;
  let inHead = false;
  let i = open + 1;
  for (; i < tokens.length && tokens[i]!.type !== 'table_close'; i++) {
    const t = tokens[i]!;
    if (t.type === 'thead_open') inHead = true;
    else if (t.type === 'thead_close') inHead = false;
    else if (t.type === 'tr_open' && !inHead) row = { cells: [], line: (t.map?.[0] ?? 0) + 1 };
    else if (t.type === 'tr_close' && row) {
      rows.push(row);
      row = undefined;
    } else if (t.type === 'inline') (inHead ? header : (row?.cells ?? [])).push(t.content.trim());
  }
  blocks.push({ type: 'table', line: (tokens[open]!.map?.[0] ?? 0) + 1, header, rows });
  return i;
}

/** Remove emphasis and code marks: "**Critical**" -> "Critical". */
export const plain = (s: string): string =>
  s
    .replace(/\*\*(.+?)\*\*/g, '$1')
    .replace(/__(.+?)__/g, '$1')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/(^|\W)[*_](\S[^*_]*?)[*_](?=\W|$)/g, '$1$2')
    .trim();

/** Inline code spans of a line, with their text; code inside inline HTML comments is not code. */
export function inlineCode(text: string): string[] {
  const out: string[] = [];
  const visible = text.replace(/<!--[\s\S]*?-->/g, ' ');
  const re = /(`+)(.+?)\1/g;
  for (let m = re.exec(visible); m; m = re.exec(visible)) out.push(m[2]!.trim());
  return out;
}

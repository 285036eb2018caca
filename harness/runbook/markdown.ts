/**
 * Just enough Markdown for runbooks: headings (ATX and setext), fenced code blocks, list
 * items, tables and paragraphs, each with its 1-based source line. A full CommonMark parser
 * would lose the line of every code line, which is what findings and step results point at.
 */

export interface SourceLine {
  readonly text: string;
  readonly line: number;
}

export type Block =
  | { readonly type: 'heading'; readonly level: number; readonly text: string; readonly line: number }
  | {
      readonly type: 'code';
      /** Info string's first word, lower-case; '' when the fence has none. */
      readonly lang: string;
      readonly line: number;
      readonly lines: readonly SourceLine[];
      readonly closed: boolean;
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
  | { readonly type: 'paragraph'; readonly text: string; readonly line: number };

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/;
const ATX = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const LIST = /^(\s*)(?:([-*+])|(\d{1,3})[.)])\s+(.*)$/;
const TABLE_ROW = /^\s*\|.*\|\s*$/;
const TABLE_SEPARATOR = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;
const SETEXT = /^ {0,3}(=+|-+)\s*$/;

const cells = (row: string): string[] =>
  row
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split('|')
    .map((c) => c.trim());

/** Split Markdown into blocks. Never throws: anything unrecognised is a paragraph. */
export function scanBlocks(text: string): Block[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let i = 0;
  const isBlockStart = (s: string) =>
    FENCE.test(s) || ATX.test(s) || LIST.test(s) || TABLE_ROW.test(s) || s.trim() === '';

  while (i < lines.length) {
    const raw = lines[i]!;
    const line = i + 1;

    const fence = FENCE.exec(raw);
    if (fence) {
      const indent = fence[1]!.length;
      const marker = fence[2]!;
      const body: SourceLine[] = [];
      let j = i + 1;
      let closed = false;
      for (; j < lines.length; j++) {
        const l = lines[j]!;
        if (l.trim().startsWith(marker[0]!.repeat(marker.length)) && /^\s*(`{3,}|~{3,})\s*$/.test(l)) {
          closed = true;
          break;
        }
        // Code indented under a list item carries the item's indentation; strip up to the fence's.
        const strip = Math.min(indent, l.length - l.trimStart().length);
        body.push({ text: l.slice(strip), line: j + 1 });
      }
      blocks.push({ type: 'code', lang: fence[3]!.toLowerCase(), line, lines: body, closed });
      i = j + 1;
      continue;
    }

    const atx = ATX.exec(raw);
    if (atx) {
      blocks.push({ type: 'heading', level: atx[1]!.length, text: atx[2]!.trim(), line });
      i++;
      continue;
    }

    if (TABLE_ROW.test(raw) && i + 1 < lines.length && TABLE_SEPARATOR.test(lines[i + 1]!)) {
      const rows: { cells: string[]; line: number }[] = [];
      let j = i + 2;
      for (; j < lines.length && TABLE_ROW.test(lines[j]!); j++)
        rows.push({ cells: cells(lines[j]!), line: j + 1 });
      blocks.push({ type: 'table', line, header: cells(raw), rows });
      i = j;
      continue;
    }

    const item = LIST.exec(raw);
    if (item) {
      let text = item[4]!;
      const indent = item[1]!.length;
      let j = i + 1;
      // Lazy continuation: more-indented plain lines belong to the item.
      while (j < lines.length) {
        const next = lines[j]!;
        const nextIndent = next.length - next.trimStart().length;
        if (next.trim() === '' || nextIndent <= indent || isBlockStart(next)) break;
        text += ' ' + next.trim();
        j++;
      }
      blocks.push({ type: 'list-item', ordered: item[3] !== undefined, text, line });
      i = j;
      continue;
    }

    if (raw.trim() === '') {
      i++;
      continue;
    }

    // Paragraph, possibly a setext heading ("Title" over "=====" or "-----").
    const parts = [raw.trim()];
    let j = i + 1;
    while (j < lines.length && !isBlockStart(lines[j]!) && !SETEXT.test(lines[j]!)) {
      parts.push(lines[j]!.trim());
      j++;
    }
    const under = lines[j];
    if (under !== undefined && SETEXT.test(under) && parts.length === 1) {
      blocks.push({ type: 'heading', level: under.trim().startsWith('=') ? 1 : 2, text: parts[0]!, line });
      i = j + 1;
      continue;
    }
    blocks.push({ type: 'paragraph', text: parts.join(' '), line });
    i = j;
  }
  return blocks;
}

/** Remove emphasis and code marks: "**Critical**" -> "Critical". */
export const plain = (s: string): string =>
  s
    .replace(/\*\*(.+?)\*\*/g, '$1')
    .replace(/__(.+?)__/g, '$1')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/(^|\W)[*_](\S[^*_]*?)[*_](?=\W|$)/g, '$1$2')
    .trim();

/** Inline code spans of a line, with their text. */
export function inlineCode(text: string): string[] {
  const out: string[] = [];
  const re = /(`+)(.+?)\1/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[2]!.trim());
  return out;
}

/**
 * Formatting shared by every renderer, so a duration or a percentage reads the same in the
 * Markdown summary, the HTML page and the JUnit message.
 */

/** "850 ms", "42.0 s", "4m 05s", "1h 02m"; an em dash for "no value". */
export function fmtDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  if (abs < 1000) return `${sign}${Math.round(abs)} ms`;
  if (abs < 60_000) return `${sign}${(abs / 1000).toFixed(1)} s`;
  const totalSeconds = Math.round(abs / 1000);
  if (totalSeconds < 3600) {
    const m = Math.floor(totalSeconds / 60);
    const s = totalSeconds % 60;
    return `${sign}${m}m ${String(s).padStart(2, '0')}s`;
  }
  const totalMinutes = Math.round(abs / 60_000);
  const h = Math.floor(totalMinutes / 60);
  const m = totalMinutes % 60;
  return `${sign}${h}h ${String(m).padStart(2, '0')}m`;
}

/** Minutes with one decimal, for totals such as customer impact; under a minute, the exact duration. */
export const fmtMinutes = (ms: number): string =>
  ms < 60_000 ? fmtDuration(ms) : `${(ms / 60_000).toFixed(1)} min`;

/** "1 scenario", "3 scenarios". */
export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A ratio as "40.0% (2/5)"; "n/a (0 runs)" when there is nothing to divide by. */
export function fmtRatio(r: { num: number; den: number }): string {
  if (r.den === 0) return 'n/a (0 runs)';
  return `${((100 * r.num) / r.den).toFixed(1)}% (${r.num}/${r.den})`;
}

/** Seconds with millisecond precision, as JUnit's `time` attribute wants. */
export const fmtSeconds = (ms: number): string => (Math.max(0, ms) / 1000).toFixed(3);

/** "2026-01-05 02:00 UTC": the reports are read by people in several time zones. */
export function fmtWall(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** Met / missed / unknown, as the mark shown next to a target. */
export const mark = (met: boolean | null): string => (met === null ? '—' : met ? '✅' : '❌');

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escape text for HTML and XML content and attribute values. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

/**
 * Characters XML 1.0 forbids even when escaped (control characters other than tab, CR, LF).
 * Command output can carry them (ANSI colours), and one would make the JUnit file unreadable.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const XML_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;
export const escapeXml = (text: string): string => escapeHtml(text.replace(XML_FORBIDDEN, '?'));

/**
 * Text for one Markdown table cell or list item: pipes escaped, line breaks flattened, and
 * only what could start markup escaped (a tag such as `<script`, an entity such as `&amp;`),
 * so runbook output cannot become HTML on GitHub while "< 5m" still reads as itself.
 */
export function mdCell(text: string): string {
  return text
    .replace(/&(?=#?\w+;)/g, '&amp;')
    .replace(/<(?=[A-Za-z/!?])/g, '&lt;')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, ' ');
}

/** An inline code span that survives backticks and pipes inside the command. */
export function mdCode(text: string): string {
  const flat = text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
  const longestRun = Math.max(0, ...(flat.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longestRun + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** A Markdown table from a header row and data rows (cells already escaped). */
export function mdTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** First `max` characters of a (possibly long) output, with a marker when cut. */
export function excerpt(text: string, max = 200): string {
  const flat = text.trim();
  return flat.length <= max ? flat : `${flat.slice(0, max)}…`;
}

/** A p95 of fewer than five runs is one of the runs, not a percentile: it is not shown. */
export const P95_MIN_N = 5;
export const fmtP95 = (d: { n: number; p95: number | null }): string =>
  d.n < P95_MIN_N ? `— (n<${P95_MIN_N})` : fmtDuration(d.p95);

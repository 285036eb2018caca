/**
 * The `| grep X`, `| head -100`, `| tail -20` after a translated step, applied to the
 * platform's output so a local drill reads like the shell would, including grep's verdict:
 * no matching line is exit status 1, a failed step, as on kube.
 */
import type { Invocation } from './invocation.ts';

export interface OutputFilter {
  readonly program: 'grep' | 'head' | 'tail';
  /** The filter as written, for the report. */
  readonly text: string;
  readonly pattern?: string;
  readonly ignoreCase?: boolean;
  readonly invert?: boolean;
  readonly fixed?: boolean;
  /** grep -A N: lines of context after each match. */
  readonly after?: number;
  /** head/tail line count. */
  readonly lines?: number;
}

/** The filter an invocation expresses, or undefined when it is something we do not reproduce. */
export function parseFilter(inv: Invocation): OutputFilter | undefined {
  const args = inv.words.slice(1).map((w) => w.text);
  const text = inv.words.map((w) => w.text).join(' ');
  if (inv.program === 'head' || inv.program === 'tail') {
    if (args.length === 0) return { program: inv.program, text, lines: 10 };
    const m =
      /^-(\d+)$/.exec(args[0]!) ??
      (args[0] === '-n' && /^(\d+)$/.exec(args[1] ?? '')) ??
      /^-n(\d+)$/.exec(args[0]!);
    const rest = args.slice(args[0] === '-n' ? 2 : 1);
    return m && rest.length === 0 ? { program: inv.program, text, lines: Number(m[1]) } : undefined;
  }
  if (inv.program !== 'grep' && inv.program !== 'egrep') return undefined;
  let ignoreCase = false;
  let invert = false;
  let fixed = false;
  let after: number | undefined;
  let pattern: string | undefined;
  for (let k = 0; k < args.length; k++) {
    const a = args[k]!;
    if (a === '-A' || a === '--after-context') after = Number(args[++k]);
    else if (/^-A\d+$/.test(a)) after = Number(a.slice(2));
    else if (/^-[ivEF]+$/.test(a)) {
      ignoreCase ||= a.includes('i');
      invert ||= a.includes('v');
      fixed ||= a.includes('F');
    } else if (a === '-e' && pattern === undefined) pattern = args[++k];
    else if (a.startsWith('-')) return undefined;
    else if (pattern === undefined) pattern = a;
    else return undefined; // a file operand: grep would not read the pipe
  }
  if (pattern === undefined || (after !== undefined && !Number.isInteger(after))) return undefined;
  return {
    program: 'grep',
    text,
    pattern,
    ignoreCase,
    invert,
    fixed,
    ...(after !== undefined ? { after } : {}),
  };
}

/** Apply a filter; `ok` is false where the shell's filter would exit non-zero (grep: no line). */
export function applyFilter(filter: OutputFilter, output: string): { output: string; ok: boolean } {
  const lines = output.replace(/\n$/, '').split('\n');
  const join = (xs: string[]) => (xs.length ? xs.join('\n') + '\n' : '');
  if (filter.program === 'head') return { output: join(lines.slice(0, filter.lines)), ok: true };
  if (filter.program === 'tail') return { output: join(lines.slice(-(filter.lines ?? 10))), ok: true };
  const source = filter.fixed ? filter.pattern!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : filter.pattern!;
  let re: RegExp;
  try {
    re = new RegExp(source, filter.ignoreCase ? 'i' : '');
  } catch {
    re = new RegExp(filter.pattern!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), filter.ignoreCase ? 'i' : '');
  }
  const keep = new Set<number>();
  lines.forEach((l, i) => {
    if (re.test(l) !== Boolean(filter.invert))
      for (let j = i; j <= i + (filter.after ?? 0) && j < lines.length; j++) keep.add(j);
  });
  const kept = lines.filter((_, i) => keep.has(i));
  return { output: join(kept), ok: kept.length > 0 };
}

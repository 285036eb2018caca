/**
 * The runbook patch a drill suggests: (a) the fix steps the scenario had to supply, in kubectl
 * form, at the end of the resolution section's code block, and (b) the mechanical fixes of
 * findings on the steps the drill ran (`logs -f`, `exec -it`, curl without --max-time, redis-cli
 * and nc without a timeout, GNU-only `date -d`). The result is a unified diff that
 * `patch RUNBOOK < file` applies.
 */
import { invocations } from './invocation.ts';
import { flag, parseKubectl } from './kubectl.ts';
import { kubectlFor } from './kubectl-for.ts';
import { allSteps, type Runbook, type Section, type Step } from './model.ts';
import type { StepResult } from './step-result.ts';
import { type LineEdits, splitLines, unifiedDiff } from './unified-diff.ts';

/** What a patch needs of a run record (report/record.ts has them all): how it ended, which section, its steps. */
export interface DrilledRun {
  readonly outcome: string;
  readonly runbook: { readonly section: string };
  readonly steps: readonly StepResult[];
}

/** The namespace the runbook's own kubectl commands use most, so added steps read alike. */
export function runbookNamespace(steps: readonly Step[], fallback = 'default'): string {
  const counts = new Map<string, number>();
  for (const s of steps)
    for (const inv of invocations(s.command)) {
      const call = parseKubectl(inv.words);
      const ns = call && flag(call, 'namespace');
      if (typeof ns === 'string' && !ns.includes('$')) counts.set(ns, (counts.get(ns) ?? 0) + 1);
    }
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? fallback;
}

const FENCE = /^\s*(`{3,}|~{3,})/;

/** The line of the fence closing the code block opened at `open` (1-based), if any. */
function closingFence(lines: readonly string[], open: number): number | undefined {
  const opener = FENCE.exec(lines[open - 1] ?? '')?.[1];
  if (!opener) return undefined;
  for (let i = open; i < lines.length; i++) {
    const m = /^\s*(`{3,}|~{3,})\s*$/.exec(lines[i]!);
    if (m && m[1]![0] === opener[0] && m[1]!.length >= opener.length) return i + 1;
  }
  return undefined;
}

/** Where fix steps go: before the section's last closing fence, or a new block at its end. */
function insertionPoint(
  runbook: Runbook,
  section: Section,
  lines: readonly string[],
): { before: number; fenced: boolean } {
  const opens = section.steps.flatMap((s) => (s.codeBlockLine ? [s.codeBlockLine] : []));
  const close = opens.length ? closingFence(lines, Math.max(...opens)) : undefined;
  if (close) return { before: close, fenced: true };
  const next = runbook.sections.find((s) => s.line > section.line)?.line ?? lines.length + 1;
  let end = next - 1;
  while (end > section.line && lines[end - 1]!.trim() === '') end--;
  return { before: end + 1, fenced: false };
}

/** (a) The extra steps of every run that needed them, grouped by the section they belong in. */
function extraStepEdits(runbook: Runbook, records: readonly DrilledRun[], lines: readonly string[]) {
  const insert = new Map<number, string[]>();
  const namespace = runbookNamespace(allSteps(runbook));
  const seen = new Set<string>();
  for (const r of records) {
    if (r.outcome !== 'resolved-with-extra-steps') continue;
    const section = runbook.sections.find((s) => s.title === r.runbook.section);
    if (!section) continue;
    const added: string[] = [];
    for (const step of r.steps) {
      if (step.kind !== 'extra' || !step.action) continue;
      const command = kubectlFor(step.action, runbookNamespace(section.steps, namespace));
      if (seen.has(`${section.title}\n${command}`)) continue;
      seen.add(`${section.title}\n${command}`);
      const description = step.command.replace(/\s*\[\{.*\}\]$/s, '');
      added.push('', `# ${description} (the drill needed this step; the runbook lacked it)`, command);
    }
    if (added.length === 0) continue;
    const at = insertionPoint(runbook, section, lines);
    const block = at.fenced ? added : ['', '```bash', ...added.slice(1), '```'];
    insert.set(at.before, [...(insert.get(at.before) ?? []), ...block]);
  }
  return insert;
}

const CURL = /(^|[\s;|&(])curl(?=\s)/;
const TIMEOUT = /(^|\s)(--max-time|-m|--connect-timeout)(\s|=|$)/;

/** (b) One source line with the mechanical fixes of its findings applied. */
export function fixLine(line: string, command: string): string {
  let out = line;
  if (/\bkubectl\s.*\blogs\b/.test(out) && /(\s)(-f|--follow)(?=\s|$)/.test(out)) {
    const bounded = /--since(=|\s)|--tail(=|\s)/.test(command);
    out = out.replace(/(\s)(-f|--follow)(?=\s|$)/, bounded ? '' : '$1--tail=100');
  }
  if (/\bkubectl\s.*\bexec\b/.test(out)) {
    const dashes = out.indexOf(' -- ');
    const head = dashes < 0 ? out : out.slice(0, dashes);
    const tail = dashes < 0 ? '' : out.slice(dashes);
    out =
      head
        .replace(/(\s)-(it|ti)(?=\s|$)/, '$1-i')
        .replace(/\s(-t|--tty)(?=\s|$)/, '')
        .replace(/\s--tty=true(?=\s|$)/, '') + tail;
  }
  if (CURL.test(out) && !TIMEOUT.test(command)) out = out.replace(CURL, '$1curl --max-time 10');
  // Clients that hang where packets are dropped (lint: client-no-timeout)
  if (REDIS_CLI.test(out) && !/\btimeout\s+\S+\s+redis-cli\b/.test(command))
    out = out.replace(REDIS_CLI, '$1timeout 5 redis-cli');
  if (NC.test(out) && !/(^|[\s;|&(])nc(at)?\s(.*\s)?-[a-zA-Z]*w/.test(command))
    out = out.replace(NC, '$1$2 -w 3');
  return out;
}

const REDIS_CLI = /(^|[\s;|&(])redis-cli(?=\s)/;
const NC = /(^|[\s;|&(])(nc|ncat)(?=\s)/;

const GNU_DATE = /\bdate\b[^)\n]*\s-d\s*['"]?((\d+)\s+(minute|hour|day)s?\s+ago)/;

/** A note above a step that uses GNU-only `date -d '<N> <unit> ago'`, with the BSD spelling. */
function gnuDateNote(step: Step): string | undefined {
  const m = GNU_DATE.exec(step.command);
  if (!m) return undefined;
  const unit = { minute: 'M', hour: 'H', day: 'd' }[m[3] as 'minute' | 'hour' | 'day'];
  return `# Note: \`date -d '${m[1]}'\` is GNU date (Linux); on macOS/BSD write \`date -v-${m[2]}${unit}\` instead`;
}

/** The lines of a step in the source, first to last. */
const stepLines = (step: Step): number[] => {
  const last = step.lineOffsets.at(-1)?.line ?? step.line;
  return Array.from({ length: last - step.line + 1 }, (_, i) => step.line + i);
};

/**
 * The suggested patch for `runbook` (parsed from `text`) after the drills in `records`, as a
 * unified diff with `path` in its headers; '' when there is nothing to suggest.
 *
 * @example
 * const diff = suggestPatch(text, parseRunbook(text, file), records, 'runbooks/api.md');
 * if (diff) await writeFile('reports/latest.runbook.patch', diff);
 */
export function suggestPatch(
  text: string,
  runbook: Runbook,
  records: readonly DrilledRun[],
  path: string,
): string {
  const lines = splitLines(text);
  const insertBefore = extraStepEdits(runbook, records, lines);
  const replace = new Map<number, string>();
  const ran = new Set(records.flatMap((r) => r.steps.flatMap((s) => (s.kind === 'extra' ? [] : [s.id]))));
  for (const step of allSteps(runbook)) {
    if (!ran.has(step.id)) continue;
    for (const n of stepLines(step)) {
      const fixed = fixLine(lines[n - 1] ?? '', step.command);
      if (fixed !== lines[n - 1]) replace.set(n, fixed);
    }
    const note = gnuDateNote(step);
    // a runbook patched before already carries the note
    if (note && !lines.slice(Math.max(0, step.line - 4), step.line - 1).includes(note))
      insertBefore.set(step.line, [note, ...(insertBefore.get(step.line) ?? [])]);
  }
  const edits: LineEdits = { replace, insertBefore };
  return unifiedDiff(text, edits, path);
}

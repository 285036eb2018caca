/**
 * The emulation and lint findings of a run's steps, and its suggested runbook patch, in the
 * three report formats. One module so Markdown, HTML and JUnit say the same thing.
 */

import type { StepFinding, StepResult } from '../runbook/step-result.ts';
import { escapeHtml as esc, mdCell, mdCode, mdTable } from './format.ts';
import { code, htmlTable } from './html-page.ts';
import type { RunRecord } from './record.ts';
import { stepLocation } from './verdict.ts';

export interface LocatedFinding {
  readonly step: StepResult;
  readonly finding: StepFinding;
}

/** Every step finding of a run, in step order. */
export const stepFindingsOf = (r: RunRecord): LocatedFinding[] =>
  r.steps.flatMap((step) => (step.findings ?? []).map((finding) => ({ step, finding })));

const KIND_LABEL = { emulation: 'local differs from a cluster', lint: 'lint' } as const;

const label = (f: StepFinding): string =>
  `${KIND_LABEL[f.kind]}${f.rule ? ` [${f.rule}]` : ''}${f.severity ? ` (${f.severity})` : ''}`;

const where = ({ step, finding }: LocatedFinding): string =>
  finding.line !== undefined ? `line ${finding.line}` : stepLocation(step);

/** Where the per-run patch is written, relative to the reports directory. */
export const runPatchPath = (runId: string): string => `runs/${runId}.runbook.patch`;
export const LATEST_PATCH = 'latest.runbook.patch';

/** `+n -m` of a unified diff, not counting its file headers. */
export function diffStat(diff: string): { added: number; removed: number } {
  const lines = diff.split('\n');
  return {
    added: lines.filter((l) => l.startsWith('+') && !l.startsWith('+++')).length,
    removed: lines.filter((l) => l.startsWith('-') && !l.startsWith('---')).length,
  };
}

export function stepFindingsMarkdown(r: RunRecord): string {
  const all = stepFindingsOf(r);
  if (all.length === 0) return '_None._';
  return mdTable(
    ['line', 'finding', 'step', 'detail'],
    all.map((lf) => [where(lf), label(lf.finding), mdCode(lf.step.command), mdCell(lf.finding.message)]),
  );
}

/** A fence longer than any backtick run in the text, so a runbook's own fences stay inside. */
function fenceFor(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  return '`'.repeat(longest + 1);
}

export function patchMarkdown(r: RunRecord): string {
  if (!r.runbookPatch) return '_No changes suggested._';
  const { added, removed } = diffStat(r.runbookPatch.diff);
  const fence = fenceFor(r.runbookPatch.diff);
  return [
    `${added} line(s) added, ${removed} removed, written to ${mdCode(runPatchPath(r.runId))} (all runs of this invocation together: ${mdCode(LATEST_PATCH)}); apply with ${mdCode(`patch ${r.runbookPatch.file} < ${LATEST_PATCH}`)}.`,
    `${fence}diff\n${r.runbookPatch.diff.replace(/\n$/, '')}\n${fence}`,
  ].join('\n\n');
}

export function stepFindingsHtml(r: RunRecord): string {
  const all = stepFindingsOf(r);
  if (all.length === 0) return '<p class="muted">None.</p>';
  return htmlTable(
    ['line', 'finding', 'step', 'detail'],
    all.map((lf) => [
      esc(where(lf)),
      `<span class="${lf.finding.severity === 'error' ? 'bad' : 'muted'}">${esc(label(lf.finding))}</span>`,
      code(lf.step.command),
      esc(lf.finding.message),
    ]),
  );
}

const DIFF_CLASS = (line: string): string =>
  line.startsWith('+++') || line.startsWith('---')
    ? 'diff-file'
    : line.startsWith('+')
      ? 'diff-add'
      : line.startsWith('-')
        ? 'diff-del'
        : line.startsWith('@@')
          ? 'diff-hunk'
          : '';

export function patchHtml(r: RunRecord): string {
  if (!r.runbookPatch) return '<p class="muted">No changes suggested.</p>';
  const { added, removed } = diffStat(r.runbookPatch.diff);
  const lines = r.runbookPatch.diff
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => {
      const cls = DIFF_CLASS(l);
      return cls ? `<span class="${cls}">${esc(l)}</span>` : esc(l);
    });
  return (
    `<p>${added} line(s) added, ${removed} removed; written to ${code(runPatchPath(r.runId))} ` +
    `(all runs together: ${code(LATEST_PATCH)}); apply with ${code(`patch ${r.runbookPatch.file} < ${LATEST_PATCH}`)}.</p>` +
    `<pre class="diff">${lines.join('\n')}</pre>`
  );
}

/** Plain-text lines for JUnit's system-out. */
export function stepFindingsText(r: RunRecord): string[] {
  const lines = stepFindingsOf(r).map(
    (lf) => `finding: ${label(lf.finding)} (${where(lf)}): ${lf.finding.message}`,
  );
  if (r.runbookPatch) {
    const { added, removed } = diffStat(r.runbookPatch.diff);
    lines.push(`suggested runbook patch: +${added} -${removed} lines (${runPatchPath(r.runId)})`);
  }
  return lines;
}

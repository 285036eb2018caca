/**
 * Runbook findings across a history: which steps failed, hung, could not run, did nothing or
 * were missing, at which line, how often, and out of how many runs that reached the step.
 * This is the list a runbook owner edits the document from.
 */
import type { RunRecord } from './record.ts';
import { type FindingKind, findingsOf } from './verdict.ts';

export interface FindingSummary {
  readonly kind: FindingKind;
  /** The runbook file, as the records name it. */
  readonly file: string;
  readonly section: string;
  readonly line: number | undefined;
  readonly command: string;
  /** Runs in which this finding occurred. */
  readonly runs: number;
  /** Runs in which the step ran at all (the denominator for "how often"). */
  readonly ranIn: number;
  readonly scenarios: readonly string[];
  readonly lastSeenMs: number;
  /** The most recent detail (error message, time box), as an example. */
  readonly example: string;
}

const stepKey = (file: string, s: { section: string; line?: number | undefined; command: string }) =>
  `${file}\u0000${s.section}\u0000${s.line ?? ''}\u0000${s.command}`;

/** Findings grouped by step and kind, most frequent first, then by runbook line. */
export function summarizeFindings(records: readonly RunRecord[]): FindingSummary[] {
  const ranIn = new Map<string, number>();
  const groups = new Map<
    string,
    { f: Omit<FindingSummary, 'ranIn' | 'scenarios'>; scenarios: Set<string> }
  >();
  for (const r of records) {
    const at = Date.parse(r.startedAt);
    for (const key of new Set(r.steps.map((s) => stepKey(r.runbook.file, s))))
      ranIn.set(key, (ranIn.get(key) ?? 0) + 1);
    const seen = new Set<string>();
    for (const finding of findingsOf(r)) {
      const key = `${finding.kind}\u0000${stepKey(r.runbook.file, finding.step)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const prev = groups.get(key);
      const newer = !prev || at >= prev.f.lastSeenMs;
      groups.set(key, {
        f: {
          kind: finding.kind,
          file: r.runbook.file,
          section: finding.step.section,
          line: finding.step.line,
          command: finding.step.command,
          runs: (prev?.f.runs ?? 0) + 1,
          lastSeenMs: newer ? at : prev.f.lastSeenMs,
          example: newer ? finding.detail : prev.f.example,
        },
        scenarios: (prev?.scenarios ?? new Set<string>()).add(r.scenario.name),
      });
    }
  }
  return [...groups.values()]
    .map(({ f, scenarios }) => ({
      ...f,
      ranIn: ranIn.get(stepKey(f.file, f)) ?? f.runs,
      scenarios: [...scenarios].sort(),
    }))
    .sort(
      (a, b) =>
        b.runs - a.runs || (a.line ?? Infinity) - (b.line ?? Infinity) || a.command.localeCompare(b.command),
    );
}

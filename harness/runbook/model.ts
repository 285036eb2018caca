/**
 * The runbook as data: what the parser produces and every other runbook module reads.
 * Line numbers are 1-based lines of the Markdown file, so every finding and every step
 * result can point the runbook's owner at the exact place to edit.
 */

/** The parts of an incident runbook firedrill knows how to use. */
export type SectionKind =
  | 'detection'
  | 'investigation'
  | 'resolution'
  | 'verification'
  | 'escalation'
  | 'post-incident'
  | 'kpis'
  | 'other';

/** Time box of an investigation step, e.g. "(2-5 minutes)" -> { fromMs: 120000, toMs: 300000 }. */
export interface TimeBox {
  readonly fromMs: number;
  readonly toMs: number;
}

/** Where in the joined command a physical source line starts; maps token offsets back to lines. */
export interface LineOffset {
  readonly line: number;
  readonly offset: number;
}

export interface Step {
  /** Stable within one runbook: section slug + position, e.g. "scenario-2-database-connection-issues-5". */
  readonly id: string;
  /** Title of the section the step belongs to. */
  readonly section: string;
  readonly sectionKind: SectionKind;
  /** The command as a shell would run it: backslash continuations joined, prompts stripped. */
  readonly command: string;
  /** The `#` comment lines that introduce the step (or the list item's prose), joined by newlines. */
  readonly comment?: string;
  /** 1-based line of the command's first line. */
  readonly line: number;
  /** Line of the opening fence of the code block; absent for inline `code` in a list item. */
  readonly codeBlockLine?: number;
  /** Offsets of each source line inside `command`, for findings that point at a later line. */
  readonly lineOffsets: readonly LineOffset[];
  /** Variables the reader must supply (names without `$`), e.g. ['API_KEY']. */
  readonly placeholders: readonly string[];
  /** Variables this step assigns (`X=...`, `export X=...`), available to later steps. */
  readonly defines: readonly string[];
  readonly timeBox?: TimeBox;
}

/** A comment in a code block that no command follows, e.g. "# Fix the issue". */
export interface Note {
  readonly text: string;
  readonly line: number;
}

export interface Section {
  readonly title: string;
  readonly level: number;
  readonly line: number;
  readonly kind: SectionKind;
  /** Title of the enclosing section, if any. */
  readonly parent?: string;
  /** From a "**Symptoms**: a, b, c" line. */
  readonly symptoms?: readonly string[];
  readonly timeBox?: TimeBox;
  readonly steps: readonly Step[];
  readonly notes: readonly Note[];
}

export interface DetectionAlert {
  readonly name: string;
  readonly condition: string;
  readonly line: number;
}

export interface SeverityLevel {
  /** Lower-case key as written, e.g. 'critical'. */
  readonly severity: string;
  readonly impact: string;
  readonly responseTime: string;
  /** Upper bound of the response time, e.g. "Immediate (<5 min)" -> 300000; absent if unreadable. */
  readonly responseTimeMs?: number;
  readonly line: number;
}

export interface EscalationCriterion {
  /** The lead-in the bullet sits under, e.g. "Escalate immediately if". */
  readonly group: string;
  readonly text: string;
  /** A duration in the criterion, e.g. "Outage duration > 30 minutes" -> 1800000. */
  readonly thresholdMs?: number;
  readonly line: number;
}

export interface EscalationContact {
  readonly level: string;
  readonly contact: string;
  readonly responseTime: string;
  readonly responseTimeMs?: number;
  readonly line: number;
}

export interface KpiTarget {
  /** Slug of the KPI's short name, e.g. 'mttr', 'false-positive-rate', 'runbook-accuracy'. */
  readonly key: string;
  readonly name: string;
  readonly description: string;
  /** Parsed target, e.g. "Target < 30 minutes" -> { op: '<', value: 1800000, unit: 'ms' }. */
  readonly target?: {
    readonly op: '<' | '<=' | '>' | '>=';
    readonly value: number;
    readonly unit: 'ms' | 'percent';
  };
  readonly line: number;
}

export interface ParseWarning {
  readonly line: number;
  readonly message: string;
}

export interface Runbook {
  readonly file: string;
  readonly title: string;
  /** Every heading except the document title, in document order. */
  readonly sections: readonly Section[];
  readonly alerts: readonly DetectionAlert[];
  readonly severities: readonly SeverityLevel[];
  readonly escalation: {
    readonly criteria: readonly EscalationCriterion[];
    readonly contacts: readonly EscalationContact[];
  };
  readonly kpis: readonly KpiTarget[];
  /** All text outside code blocks, for "is this placeholder explained anywhere?". */
  readonly prose: string;
  readonly warnings: readonly ParseWarning[];
}

/** All steps of a runbook in document order. */
export const allSteps = (runbook: Runbook): Step[] => runbook.sections.flatMap((s) => [...s.steps]);

/** The source line of a character offset inside a step's command. */
export function lineAt(step: Step, offset: number): number {
  let line = step.line;
  for (const lo of step.lineOffsets) {
    if (lo.offset <= offset) line = lo.line;
    else break;
  }
  return line;
}

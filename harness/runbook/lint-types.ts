/** A lint finding: which rule, where, what to do. `error` findings make `pnpm runbook lint` exit 1. */
export interface LintFinding {
  readonly rule: string;
  readonly line: number;
  readonly message: string;
  readonly severity: 'error' | 'warning' | 'info';
  readonly stepId?: string;
}

/**
 * Which part of an incident runbook a heading introduces. Runbooks word their headings
 * differently ("Resolution", "Remediation", "Mitigation"; "Verification", "Confirm
 * recovery"), so kinds come from keywords, and a sub-heading without a keyword of its own
 * ("Scenario 3: External API Rate Limiting") belongs to the part its parent introduces.
 */
import type { SectionKind } from './model.ts';

/** Keywords that win even under a parent of another kind ("Verify the fix" inside Resolution). */
const STRONG: readonly [SectionKind, RegExp][] = [
  ['verification', /\b(verif|validat|smoke[- ]test|confirm (the )?recovery)/i],
  ['escalation', /\bescalat/i],
  ['post-incident', /\b(post[- ]?incident|post[- ]?mortem|retrospective|after the incident|follow[- ]?up)/i],
  ['kpis', /\b(kpis?\b|slos?\b|metrics and)/i],
];

/** Keywords that name a part when the parent does not already say which. */
const WEAK: readonly [SectionKind, RegExp][] = [
  ['detection', /\b(detect|alert|severity|monitoring|paging)/i],
  ['investigation', /\b(investigat|diagnos|assessment|troubleshoot|triage|first look)/i],
  [
    'resolution',
    /\b(resolution|resolv|remediat|mitigat|recover|fix|scenarios?\b|playbooks?|failure modes?|known (issues|problems))/i,
  ],
  ['verification', /\b(health checks?|functional test)/i],
  ['kpis', /\b(metrics|measures?)\b/i],
];

/** Headings that are informational by design; they map to 'other' without a warning. */
const INFORMATIONAL =
  /^(overview|introduction|purpose|scope|about|prerequisites?|before you (start|begin)|requirements|prevention|related|references?|see also|appendix|glossary|changelog|revision|history|summary|background|owners?|ownership|document|version|contents|table of contents|architecture|communication|contacts?)/i;

/** Strip "Step 1:", "Scenario 2 -", "1." prefixes so keywords and informational names match. */
const bare = (title: string) =>
  title
    .replace(/^(\d+[.)]\s*)/, '')
    .replace(/^(step|scenario|phase|stage)\s*\d+\s*[:.)-]\s*/i, '')
    .trim();

export interface KindDecision {
  readonly kind: SectionKind;
  /** True when the heading maps to nothing firedrill knows, and is not informational either. */
  readonly unmapped: boolean;
}

/** Kind of a heading given its parent's kind (undefined at the top). */
export function sectionKind(title: string, parent: KindDecision | undefined): KindDecision {
  const name = bare(title);
  for (const [kind, re] of STRONG) if (re.test(title)) return { kind, unmapped: false };
  if (parent && parent.kind !== 'other') return { kind: parent.kind, unmapped: false };
  for (const [kind, re] of WEAK) if (re.test(title)) return { kind, unmapped: false };
  if (INFORMATIONAL.test(name)) return { kind: 'other', unmapped: false };
  // Under an informational parent, a plain sub-heading is informational too.
  if (parent && !parent.unmapped) return { kind: 'other', unmapped: false };
  return { kind: 'other', unmapped: true };
}

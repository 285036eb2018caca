/**
 * Which part of an incident runbook a heading introduces, by meaning rather than by a fixed
 * vocabulary: teams write "Resolution", "Fix", "Mitigation" or "What to do"; "Verification",
 * "Check it worked" or "Confirm recovery"; "KPIs", "SLOs" or "Targets". Kinds come from one
 * small table of word stems and synonyms, and a sub-heading without a word of its own
 * ("Scenario 3: External API Rate Limiting") belongs to the part its parent introduces.
 */
import type { SectionKind } from './model.ts';

interface Meaning {
  readonly kind: SectionKind;
  /**
   * Strong meanings win even under a parent of another kind ("Check it worked" inside a
   * resolution is still verification); weak ones name a part only where the parent does not.
   */
  readonly strong: boolean;
  /** Stems and phrases, matched case-insensitively at word starts. */
  readonly words: readonly string[];
}

/** The table. Order matters: the first matching row wins within a strength. */
// biome-ignore format: one row per meaning reads better than one word per line
export const MEANINGS: readonly Meaning[] = [
  { kind: 'verification', strong: true, words: [
    'verif', 'validat', 'smoke[- ]?test', 'confirm\\w* (the )?(recovery|fix|resolution)',
    'check (that )?(it|the fix|everything) (work|is fixed)', 'did (it|the fix) work', 'is it fixed',
    'recovery check', 'after the fix',
  ] },
  { kind: 'escalation', strong: true, words: ['escalat', 'who to call', 'call for help', 'getting help'] },
  { kind: 'post-incident', strong: true, words: [
    'post[- ]?incident', 'post[- ]?mortem', 'retrospective', 'after the incident', 'follow[- ]?up',
    'lessons learn',
  ] },
  { kind: 'kpis', strong: true, words: [
    'kpis?\\b', 'slos?\\b', 'slis?\\b', 'service level', 'metrics and', 'mttd', 'mttr',
    // a section *about* targets, not "Restart the scrape targets" inside a fix
    '^((response|incident|recovery|our|time) )?targets?$',
  ] },
  { kind: 'detection', strong: false, words: [
    'detect', 'alert', 'severity', 'monitoring', 'paging', 'symptoms?\\b',
    'how (you|we|to) (notice|know|tell|spot)', 'what you see', 'warning signs', 'signals?\\b',
  ] },
  { kind: 'investigation', strong: false, words: [
    'investigat', 'diagnos', 'assessment', 'troubleshoot', 'triage', 'first look', 'debug',
    'find(ing)? the cause', 'look(ing)? into',
  ] },
  { kind: 'resolution', strong: false, words: [
    'resolution', 'resolv', 'remediat', 'mitigat', 'recover', 'fix', 'repair', 'workarounds?\\b',
    'restor', 'roll ?back', 'what to do', 'scenarios?\\b', 'playbooks?', 'failure modes?',
    'known (issues|problems)',
  ] },
  { kind: 'verification', strong: false, words: ['health checks?', 'functional test'] },
  { kind: 'kpis', strong: false, words: ['metrics', 'measures?\\b'] },
];

const compiled = MEANINGS.map((m) => ({
  ...m,
  re: new RegExp(`(^|[^a-z0-9])(${m.words.join('|')})`, 'i'),
}));

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

/** The kind a title's own words mean, ignoring its parent; undefined when none. */
export function meaningOf(title: string, strength: 'strong' | 'weak'): SectionKind | undefined {
  const names = [title.trim(), bare(title)];
  return compiled.find((m) => m.strong === (strength === 'strong') && names.some((n) => m.re.test(n)))?.kind;
}

/** Kind of a heading given its parent's kind (undefined at the top). */
export function sectionKind(title: string, parent: KindDecision | undefined): KindDecision {
  const name = bare(title);
  const strong = meaningOf(title, 'strong');
  if (strong) return { kind: strong, unmapped: false };
  if (parent && parent.kind !== 'other') return { kind: parent.kind, unmapped: false };
  const weak = meaningOf(title, 'weak');
  if (weak) return { kind: weak, unmapped: false };
  if (INFORMATIONAL.test(name)) return { kind: 'other', unmapped: false };
  // Under an informational parent, a plain sub-heading is informational too.
  if (parent && !parent.unmapped) return { kind: 'other', unmapped: false };
  return { kind: 'other', unmapped: true };
}

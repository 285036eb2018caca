import { describe, expect, it } from 'vitest';
import type { SectionKind } from './model.ts';
import { type KindDecision, sectionKind } from './section-kinds.ts';

const top = (title: string) => sectionKind(title, undefined);
const under = (parentKind: SectionKind) => (title: string) =>
  sectionKind(title, { kind: parentKind, unmapped: false });

describe('section kinds by meaning', () => {
  it.each<[string, SectionKind]>([
    ['Symptoms', 'detection'],
    ['How you notice', 'detection'],
    ['How to tell it is broken', 'detection'],
    ['Alerts', 'detection'],
    ['Triage', 'investigation'],
    ['Finding the cause', 'investigation'],
    ['Fix', 'resolution'],
    ['Remediation', 'resolution'],
    ['Mitigation', 'resolution'],
    ['Resolution', 'resolution'],
    ['What to do', 'resolution'],
    ['Workarounds', 'resolution'],
    ['Check it worked', 'verification'],
    ['Confirm recovery', 'verification'],
    ['Validation', 'verification'],
    ['Did the fix work?', 'verification'],
    ['Targets', 'kpis'],
    ['SLOs', 'kpis'],
    ['KPIs', 'kpis'],
    ['Response targets', 'kpis'],
    ['5. Targets', 'kpis'],
    ['Who to call', 'escalation'],
    ['Lessons learned', 'post-incident'],
  ])('%s is %s', (title, kind) => {
    expect(top(title)).toEqual<KindDecision>({ kind, unmapped: false });
  });

  it('strong meanings win under a parent of another kind, weak ones inherit', () => {
    expect(under('resolution')('Check it worked').kind).toBe('verification');
    expect(under('resolution')('Symptoms').kind).toBe('resolution');
    expect(under('resolution')('Queue backs up').kind).toBe('resolution');
    expect(under('detection')('Fix the dashboard link').kind).toBe('detection');
    expect(under('resolution')('Restart the scrape targets').kind).toBe('resolution');
  });

  it('informational headings are other without a warning, unknown ones are unmapped', () => {
    expect(top('Overview')).toEqual({ kind: 'other', unmapped: false });
    expect(top('Lunch menu')).toEqual({ kind: 'other', unmapped: true });
    // "fix" as a word start, not inside another word
    expect(top('Prefixes')).toEqual({ kind: 'other', unmapped: true });
  });
});

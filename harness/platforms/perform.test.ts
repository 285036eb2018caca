import { describe, expect, it } from 'vitest';
import { labelsMatch } from './perform.ts';

describe('labelsMatch()', () => {
  const release = {
    'app.kubernetes.io/part-of': 'agent-agency',
    'app.kubernetes.io/managed-by': 'firedrill',
  };
  const added = { 'app.kubernetes.io/managed-by': 'someone' };

  it('selects the policies that are not part of the release, and only those', () => {
    expect(labelsMatch('!app.kubernetes.io/part-of', release)).toBe(false);
    expect(labelsMatch('!app.kubernetes.io/part-of', added)).toBe(true);
    expect(labelsMatch('!app.kubernetes.io/part-of', {})).toBe(true);
    expect(labelsMatch('app.kubernetes.io/part-of!=agent-agency', added)).toBe(true);
    expect(labelsMatch('app.kubernetes.io/part-of=agent-agency', release)).toBe(true);
    expect(labelsMatch('app.kubernetes.io/part-of==agent-agency,app.kubernetes.io/managed-by', added)).toBe(
      false,
    );
  });

  it('refuses set-based terms instead of guessing', () => {
    expect(() => labelsMatch('tier in (a,b)', release)).toThrow(/not supported/);
  });
});

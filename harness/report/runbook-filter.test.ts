import { describe, expect, it } from 'vitest';
import { runbookMatcher } from './runbook-filter.ts';

const CWD = '/home/me/firedrill';
const LOCAL = '/home/me/firedrill/fixtures/runbook/agent-agency-outage.md';
const NIGHTLY = '/home/runner/work/firedrill/firedrill/fixtures/runbook/agent-agency-outage.md';
const SHARED = '/home/me/shared/reference/api-outage-runbook.md';

const matching = (arg: string, files: string[]) => files.filter(runbookMatcher(arg, CWD));

describe('runbookMatcher (pnpm report --runbook)', () => {
  const all = [LOCAL, NIGHTLY, SHARED, 'fixtures/runbook/agent-agency-outage.md'];

  it('a path inside the current folder matches wherever the drills ran (by its trailing segments)', () => {
    const everyCopy = [LOCAL, NIGHTLY, 'fixtures/runbook/agent-agency-outage.md'];
    expect(matching('fixtures/runbook/agent-agency-outage.md', all)).toEqual(everyCopy);
    expect(matching('./fixtures/runbook/../runbook/agent-agency-outage.md', all)).toEqual(everyCopy);
    expect(matching(LOCAL, all)).toEqual(everyCopy);
  });

  it('a path outside the current folder matches that file only', () => {
    expect(matching('../shared/reference/api-outage-runbook.md', all)).toEqual([SHARED]);
    expect(matching(SHARED, all)).toEqual([SHARED]);
    expect(matching('/elsewhere/fixtures/runbook/agent-agency-outage.md', all)).toEqual([]);
  });

  it('matches whole path segments, not parts of names', () => {
    expect(matching('outage.md', all)).toEqual([]);
    expect(matching('runbook/agent-agency-outage', all)).toEqual([]);
    expect(matching('agent-agency-outage.md', all)).toEqual([LOCAL, NIGHTLY, all[3]]);
  });
});

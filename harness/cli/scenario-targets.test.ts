// `pnpm scenario --target-mttd/--target-mttr` and the runbook's own targets, seen through
// --dry-run (nothing starts, nothing changes).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cliResult } from './testing.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OTHER = 'fixtures/runbook/shapes/other-team.md';
const cli = (...args: string[]) => cliResult('scenario.ts', ...args);
const lineOf = (marker: string) =>
  readFileSync(`${ROOT}/${OTHER}`, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(marker)) + 1;

describe('pnpm scenario targets', () => {
  it("uses the runbook's own targets, and a flag overrides one of them", () => {
    const r = cli('db-outage', '--dry-run', '--runbook', OTHER, '--target-mttr', '45m');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      `targets: MTTD < 3 min (runbook, line ${lineOf('detect < 3 min')}), MTTR < 45 min (flag)`,
    );
  }, 90_000);

  it.each([
    ['--target-mttd', 'soon'],
    ['--target-mttr', '20'],
  ])(
    '%s %s: one line, exit 2, nothing started',
    (flag, value) => {
      const r = cli('db-outage', '--dry-run', flag, value);
      expect(r).toEqual({
        code: 2,
        stdout: '',
        stderr: `firedrill: error: ${flag} ${value}: expected a positive duration such as 3m, 90s or 1h\n`,
      });
    },
    90_000,
  );
});

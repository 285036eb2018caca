/**
 * The loop a runbook owner goes through, end to end on the local platform: drill the user's
 * runbook, get resolved-with-extra-steps and a suggested patch, apply it with `patch`, drill the
 * patched copy, and the runbook now resolves the outage on its own.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../report/record.ts';
import { REPO, runCli, tempStateDir } from './testing.ts';

const USER_RUNBOOK = join(REPO, '../shared/reference/api-outage-runbook.md');
const hasUserRunbook = existsSync(USER_RUNBOOK);
if (!hasUserRunbook)
  console.warn(`SKIPPED: the user's runbook is absent (${USER_RUNBOOK}); the patch loop is untested`);

const SCENARIOS = ['network-partition', 'crash-loop'];

async function drill(runbook: string, state: string, reports: string) {
  const run = runCli(
    'scenario.ts',
    [...SCENARIOS, '--runbook', runbook, '--reports', reports, '--detection', 'probes'],
    { FIREDRILL_STATE_DIR: state },
  );
  const code = await run.exited;
  const runs = join(reports, 'runs');
  const records = (existsSync(runs) ? readdirSync(runs) : [])
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(runs, f), 'utf8')) as RunRecord);
  const outcomes = Object.fromEntries(records.map((r) => [r.scenario.name, r.outcome]));
  return { code, stderr: run.stderr(), records, outcomes, runs };
}

describe('the suggested runbook patch closes the loop (local platform)', { timeout: 600_000 }, () => {
  it.skipIf(!hasUserRunbook)(
    "network-partition and crash-loop: the user's runbook needs extra steps; patched, it does not",
    async () => {
      const state = tempStateDir();
      const first = await drill(USER_RUNBOOK, state, join(state, 'reports-1'));
      expect(first.outcomes, first.stderr).toEqual({
        'network-partition': 'resolved-with-extra-steps',
        'crash-loop': 'resolved-with-extra-steps',
      });
      for (const r of first.records) {
        expect(r.runbookPatch?.diff).toMatch(/^\+kubectl /m);
        expect(existsSync(join(first.runs, `${r.runId}.runbook.patch`))).toBe(true);
      }
      const patch = join(state, 'reports-1', 'latest.runbook.patch');
      expect(readFileSync(join(state, 'reports-1', 'latest.md'), 'utf8')).toContain('latest.runbook.patch');

      const copy = join(state, 'runbook.md');
      copyFileSync(USER_RUNBOOK, copy);
      const input = readFileSync(patch);
      execFileSync('patch', ['--dry-run', '--silent', copy], { input });
      execFileSync('patch', ['--silent', copy], { input });

      const second = await drill(copy, state, join(state, 'reports-2'));
      expect(second.outcomes, second.stderr).toEqual({
        'network-partition': 'resolved-by-runbook',
        'crash-loop': 'resolved-by-runbook',
      });
      // the patched runbook's own steps brought health back, and it needs no more fix steps
      for (const r of second.records) {
        expect(r.steps.some((s) => s.kind === 'extra')).toBe(false);
        expect(r.steps.some((s) => s.effect === 'restored-health')).toBe(true);
        expect(r.runbookPatch?.diff ?? '').not.toMatch(/^\+kubectl /m);
      }
    },
  );
});

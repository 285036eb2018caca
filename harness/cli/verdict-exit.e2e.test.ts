/**
 * The exit code of `pnpm scenario` and the verdict its reports print come from one judge: a
 * real counterfactual drill (fault injected and detected, remediation skipped on purpose) is a
 * pass in the JUnit report and exits 0 — before the one judge, the report said pass and the
 * process exited 1.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runRecordSchema } from '../report/record.ts';
import { judge } from '../report/verdict.ts';
import { runCli, tempStateDir } from './testing.ts';

describe('one judge for the exit code and the reports (local, end to end)', { timeout: 300_000 }, () => {
  it('a counterfactual drill that detected the fault passes in the report and exits 0', async () => {
    const state = tempStateDir();
    const reports = join(state, 'reports');
    const run = runCli(
      'scenario.ts',
      ['db-outage', '--counterfactual', '--detection', 'probes', '--reports', reports],
      { FIREDRILL_STATE_DIR: state },
    );
    const code = await run.exited;
    const [file] = readdirSync(join(reports, 'runs'));
    const record = runRecordSchema.parse(JSON.parse(readFileSync(join(reports, 'runs', file!), 'utf8')));
    expect(record.counterfactual).toBe(true);
    expect(record.outcome).toBe('unresolved'); // nobody fixed it: what the experiment observes
    expect(judge(record).status).toBe('pass');
    expect(readFileSync(join(reports, 'latest.junit.xml'), 'utf8')).not.toContain('<failure');
    expect(run.stderr()).toContain(
      'db-outage: unresolved — counterfactual run, remediation skipped on purpose — PASS',
    );
    expect(code).toBe(0);
  });
});

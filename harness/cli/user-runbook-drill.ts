/**
 * Test support: drill all five scenarios with the user's runbook as written
 * (`../shared/reference/api-outage-runbook.md` relative to the repository root) and read back
 * the run records. Used by the local and the kube e2e tests, which pin each scenario's outcome.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type RunRecord, runRecordSchema } from '../report/record.ts';
import { type Finding, findingsOf } from '../report/verdict.ts';
import { REPO, runCli, tempStateDir } from './testing.ts';

/** The user's runbook, found relative to the repository root; absent in a clone without ../shared. */
export const USER_RUNBOOK = resolve(REPO, '..', 'shared', 'reference', 'api-outage-runbook.md');
export const userRunbookPresent = existsSync(USER_RUNBOOK);

export interface UserRunbookDrill {
  readonly exitCode: number;
  readonly stderr: string;
  readonly records: ReadonlyMap<string, RunRecord>;
}

/**
 * `pnpm scenario --all --runbook <user's runbook>`; records go to `reportsDir` (CI lists them
 * afterwards) or a temporary one. A drill refused because another holds the namespace (kube:
 * a per-namespace lock) is retried for up to `busyRetryMs`.
 */
export async function drillUserRunbook(opts: {
  platform: 'local' | 'kube';
  reportsDir?: string;
  busyRetryMs?: number;
}): Promise<UserRunbookDrill> {
  const state = tempStateDir();
  const reports = opts.reportsDir ?? join(state, 'reports');
  mkdirSync(reports, { recursive: true });
  const args = ['--all', '--runbook', USER_RUNBOOK, '--reports', reports, '--platform', opts.platform];
  const deadline = Date.now() + (opts.busyRetryMs ?? 0);
  for (;;) {
    const run = runCli('scenario.ts', args, { FIREDRILL_STATE_DIR: state });
    const exitCode = await run.exited;
    if (exitCode === 2 && /is busy: drill/.test(run.stderr()) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20_000));
      continue;
    }
    const runsDir = join(reports, 'runs');
    const records = new Map<string, RunRecord>();
    // runs/ also holds each run's suggested runbook patch (<runId>.runbook.patch)
    for (const f of existsSync(runsDir)
      ? readdirSync(runsDir)
          .filter((n) => n.endsWith('.json'))
          .sort()
      : []) {
      const r = runRecordSchema.parse(JSON.parse(readFileSync(join(runsDir, f), 'utf8')));
      records.set(r.scenario.name, r); // the latest run of a scenario wins
    }
    return { exitCode, stderr: run.stderr(), records };
  }
}

/** The findings of one run as `kind Lline: command` lines, for readable assertions. */
export const findingLines = (r: RunRecord): string[] =>
  findingsOf(r).map((f: Finding) => `${f.kind} L${f.step.line ?? '-'}: ${f.step.command}`);

/** Steps of the run that showed the outage (evidence), as `Lline: command`. */
export const evidenceLines = (r: RunRecord): string[] =>
  r.steps.filter((s) => s.evidence === 'showed-outage').map((s) => `L${s.line ?? '-'}: ${s.command}`);

/** The runbook's remediation steps with the effect the drill measured, as `Lline effect: command`. */
export const remediationLines = (r: RunRecord): string[] =>
  r.steps
    .filter((s) => s.kind === 'remediation')
    .map((s) => `L${s.line ?? '-'} ${s.status} ${s.effect}: ${s.command}`);

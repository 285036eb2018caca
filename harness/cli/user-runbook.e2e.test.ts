/**
 * The user's runbook (`../shared/reference/api-outage-runbook.md`), drilled as written on the
 * local platform: all five scenarios in one `pnpm scenario --all --runbook ...`. Each
 * scenario's expected outcome is derived from what the runbook's own steps can and cannot do,
 * not from what the harness happened to print:
 *
 * - crash-loop → resolved-with-extra-steps. Its section logs, describes, scales to 0 and back to
 *   3; the fix itself is a comment ("Fix the issue (configuration, image, resources)") with no
 *   command. Scaling does not change the pod template, so the bad configuration comes back with
 *   every replica: the scenario has to roll the rollout back.
 * - db-outage → resolved-by-runbook. `kubectl rollout restart deployment/agent-agency-postgres`
 *   starts the killed database again and the API reconnects. Its `nc -zv ... 5432` diagnostic
 *   fails while the database is down: evidence of the outage, not a finding.
 * - llm-rate-limit → resolved-by-runbook. `kubectl set env ... RETRY_ENABLED=true` makes the
 *   council retry with back-off, which is what spreads the calls under the vendor's limit.
 * - network-partition → resolved-with-extra-steps. The section lists services, endpoints and
 *   policies, then restarts the orchestrator; a restart cannot lift a NetworkPolicy deny, so the
 *   restart is a no-op and the scenario has to delete the policy the release does not own.
 * - resource-exhaustion → unresolved, honestly: it asks for requests cpu=2,memory=4Gi on each of
 *   5 replicas, which no node of a drill machine (2 CPUs) can schedule; the new pods stay
 *   Pending and the OOM-killed ones keep failing (what the cluster shows). The local platform
 *   schedules by node capacity too (harness/platforms/local/scheduler.ts), so both agree.
 *
 * Skips loudly when the reference runbook is absent (a clone without ../shared).
 */
import { availableParallelism } from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../report/record.ts';
import { judge } from '../report/verdict.ts';
import {
  drillUserRunbook,
  evidenceLines,
  findingLines,
  remediationLines,
  USER_RUNBOOK,
  type UserRunbookDrill,
  userRunbookPresent,
} from './user-runbook-drill.ts';

if (!userRunbookPresent)
  console.warn(`SKIPPED: the user's runbook ${USER_RUNBOOK} is absent; its drills are not verified`);

const REPORTS = process.env['FIREDRILL_USER_RUNBOOK_REPORTS'];

describe.skipIf(!userRunbookPresent)("the user's runbook as written, on local", { timeout: 60_000 }, () => {
  let drill: UserRunbookDrill;
  const record = (name: string): RunRecord => {
    const r = drill.records.get(name);
    if (!r) throw new Error(`no run record for ${name}; stderr:\n${drill.stderr.slice(-3000)}`);
    return r;
  };
  beforeAll(async () => {
    drill = await drillUserRunbook({
      platform: 'local',
      ...(REPORTS ? { reportsDir: `${REPORTS}/local` } : {}),
    });
  }, 900_000);

  it('drills all five scenarios to a verdict, and the exit code says the runbook failed some', () => {
    expect([...drill.records.keys()].sort()).toEqual([
      'crash-loop',
      'db-outage',
      'llm-rate-limit',
      'network-partition',
      'resource-exhaustion',
    ]);
    for (const r of drill.records.values()) expect(r.outcome, r.scenario.name).not.toBe('aborted');
    expect(drill.exitCode).toBe(1);
  });

  it('crash-loop: resolved-with-extra-steps — scaling 0/3 does not fix a bad configuration', () => {
    const r = record('crash-loop');
    expect(r.outcome).toBe('resolved-with-extra-steps');
    expect(judge(r).reasons[0]).toMatch(/^runbook did not resolve it: 1 extra step supplied by the scenario/);
    expect(remediationLines(r)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /passed no-change: kubectl scale deployment agent-agency-orchestrator --replicas=0/,
        ),
        expect.stringMatching(
          /passed no-change: kubectl scale deployment agent-agency-orchestrator --replicas=3/,
        ),
      ]),
    );
    expect(findingLines(r)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^missing L-: Roll the bad rollout back/)]),
    );
  });

  it('db-outage: resolved-by-runbook — restarting Postgres brings it back; nc to the dead database is evidence', () => {
    const r = record('db-outage');
    expect(r.outcome).toBe('resolved-by-runbook');
    expect(remediationLines(r)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /passed restored-health: kubectl rollout restart deployment\/agent-agency-postgres/,
        ),
      ]),
    );
    expect(evidenceLines(r)).toEqual(
      expect.arrayContaining([expect.stringMatching(/nc -zv agent-agency-postgres 5432/)]),
    );
    expect(findingLines(r).filter((l) => l.includes('nc -zv'))).toEqual([]);
  });

  it('llm-rate-limit: resolved-by-runbook — retries with back-off spread the calls out', () => {
    const r = record('llm-rate-limit');
    expect(r.outcome).toBe('resolved-by-runbook');
    expect(remediationLines(r)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /passed restored-health: kubectl set env deployment\/agent-agency-council RETRY_ENABLED=true/,
        ),
      ]),
    );
  });

  it('network-partition: resolved-with-extra-steps — a restart cannot lift a NetworkPolicy deny', () => {
    const r = record('network-partition');
    expect(r.outcome).toBe('resolved-with-extra-steps');
    expect(findingLines(r)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^no-op L\d+: kubectl rollout restart deployment\/agent-agency-orchestrator/),
        expect.stringMatching(/^missing L-: Delete the network policies that are not part of the release/),
      ]),
    );
  });

  it('resource-exhaustion: the drill reaches a verdict and runs its set resources step', () => {
    const r = record('resource-exhaustion');
    expect(r.outcome).not.toBe('aborted');
    expect(remediationLines(r)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/passed \S+: kubectl set resources deployment\/agent-agency-orchestrator/),
      ]),
    );
  });

  // The node is this machine (harness/platforms/local/scheduler.ts): 5 x 2 CPUs fit from 10 CPUs on.
  it.skipIf(availableParallelism() >= 10)(
    'resource-exhaustion: unresolved — 5 replicas requesting 2 CPUs each do not fit the node',
    () => {
      const r = record('resource-exhaustion');
      expect(r.outcome).toBe('unresolved');
      expect(
        r.steps.some(
          (s) =>
            /kubectl scale deployment\/agent-agency-orchestrator --replicas=5/.test(s.command) &&
            s.effect === 'no-change',
        ),
      ).toBe(true);
    },
  );
});

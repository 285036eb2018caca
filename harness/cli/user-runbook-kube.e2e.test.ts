/**
 * The user's runbook (`../shared/reference/api-outage-runbook.md`), drilled as written on the
 * real cluster: its steps run literally (bash + kubectl as a namespaced ServiceAccount), all
 * five scenarios in one `pnpm scenario --all --platform kube --runbook ...`. Expected outcomes,
 * from what its steps can and cannot do on Kubernetes:
 *
 * - crash-loop → resolved-with-extra-steps. Scale to 0 and back to 3 keeps the bad pod
 *   template; "Fix the issue" has no command. The scenario rolls the rollout back.
 * - db-outage → resolved-by-runbook. `kubectl rollout restart deployment/agent-agency-postgres`
 *   replaces the killed database pod; the API reconnects.
 * - llm-rate-limit → resolved-by-runbook. `kubectl set env ... RETRY_ENABLED=true` rolls the
 *   council out with back-off.
 * - network-partition → resolved-with-extra-steps. Restarting the orchestrator does not lift a
 *   NetworkPolicy that denies its egress; the scenario deletes the policy the release does not own.
 * - resource-exhaustion → unresolved. Its `set resources` asks requests cpu=2,memory=4Gi and then
 *   5 replicas: the single node cannot schedule them, the new pods stay Pending, and the
 *   OOM-killed replicas of the faulted template keep the API down until the harness restores.
 *
 * Needs FIREDRILL_KUBE=1 and the cluster (`pnpm cluster up`); skips loudly otherwise, and when
 * the reference runbook is absent. A namespace held by another drill is waited for.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../report/record.ts';
import { judge } from '../report/verdict.ts';
import {
  drillUserRunbook,
  findingLines,
  remediationLines,
  USER_RUNBOOK,
  type UserRunbookDrill,
  userRunbookPresent,
} from './user-runbook-drill.ts';

const enabled = process.env['FIREDRILL_KUBE'] === '1';
if (!enabled)
  console.warn(
    "SKIPPED: the user's runbook on kube needs a real cluster. Run `pnpm cluster up`, then FIREDRILL_KUBE=1 pnpm exec vitest run harness/cli/user-runbook-kube.e2e.test.ts",
  );
if (!userRunbookPresent)
  console.warn(`SKIPPED: the user's runbook ${USER_RUNBOOK} is absent; its kube drills are not verified`);

const REPORTS = process.env['FIREDRILL_USER_RUNBOOK_REPORTS'];

describe.skipIf(!enabled || !userRunbookPresent)("the user's runbook as written, on kube", () => {
  let drill: UserRunbookDrill;
  const record = (name: string): RunRecord => {
    const r = drill.records.get(name);
    if (!r) throw new Error(`no run record for ${name}; stderr:\n${drill.stderr.slice(-3000)}`);
    return r;
  };
  beforeAll(async () => {
    drill = await drillUserRunbook({
      platform: 'kube',
      busyRetryMs: 600_000,
      ...(REPORTS ? { reportsDir: `${REPORTS}/kube` } : {}),
    });
  }, 2_400_000);

  it('drills all five scenarios to a verdict, and the exit code says the runbook failed some', () => {
    expect([...drill.records.keys()].sort()).toEqual([
      'crash-loop',
      'db-outage',
      'llm-rate-limit',
      'network-partition',
      'resource-exhaustion',
    ]);
    for (const r of drill.records.values()) {
      expect(r.outcome, r.scenario.name).not.toBe('aborted');
      expect(r.restore.ok, r.scenario.name).toBe(true);
    }
    expect(drill.exitCode).toBe(1);
  });

  it('crash-loop: resolved-with-extra-steps — scaling 0/3 does not fix a bad configuration', () => {
    const r = record('crash-loop');
    expect(r.outcome).toBe('resolved-with-extra-steps');
    expect(judge(r).reasons[0]).toMatch(/^runbook did not resolve it: 1 extra step supplied by the scenario/);
    expect(findingLines(r)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^missing L-: Roll the bad rollout back/)]),
    );
  });

  it('db-outage: resolved-by-runbook — restarting Postgres brings it back', () => {
    const r = record('db-outage');
    expect(r.outcome).toBe('resolved-by-runbook');
    expect(remediationLines(r)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/passed \S+: kubectl rollout restart deployment\/agent-agency-postgres/),
      ]),
    );
    // Postgres is halted as a crash loop: the record says how that still differs from a crash
    expect(r.limitations).toEqual(
      expect.arrayContaining([expect.stringMatching(/^kube: a halted workload's containers run a command/)]),
    );
  });

  it('llm-rate-limit: resolved-by-runbook — retries with back-off', () => {
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
        expect.stringMatching(/^missing L-: Delete the network policies that are not part of the release/),
      ]),
    );
  });

  it('resource-exhaustion: unresolved — 5 replicas requesting 2 CPUs each do not fit the node', () => {
    const r = record('resource-exhaustion');
    expect(r.outcome).toBe('unresolved');
    expect(findingLines(r)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^no-op L\d+: kubectl set resources deployment\/agent-agency-orchestrator/),
      ]),
    );
  });
});

/**
 * Two drills against the same target at once. On local "the same target" is this machine and
 * one state dir: the same ledger dir, run dir, reports dir, Postgres template cache and shared
 * firedrill cgroup parent. Each drill brings up its own stack on kernel-assigned loopback ports
 * (the platform takes no fixed port anywhere, so "port in use" cannot happen to a drill), its
 * own directories and cgroups, so the drills are isolated rather than locked out.
 *
 * The proof: B starts while A is in steady state, so A's fault (Postgres killed) lands while B
 * is still coming up or checking its steady state, and B's fault lands while A still runs
 * (remediating, verifying or restoring). Had either fault, remediation or teardown reached the
 * other stack, that drill would fail to start, see failures before its own injection (aborted)
 * or not verify: both must end resolved-by-runbook, on disjoint processes and ports, and
 * leave nothing behind.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { captureFootprint, leftovers } from './footprint.ts';
import { runCli, runIdsIn, tempStateDir } from './testing.ts';

type Event = { type: string; at: { wallMs: number } };
interface RecordLike {
  runId: string;
  outcome: string;
  startedAt: string;
  finishedAt: string;
  restore: { ok: boolean };
  timeline: Event[];
}

const injectedAt = (r: RecordLike) => r.timeline.find((e) => e.type === 'injected')!.at.wallMs;

it('two db-outage drills on the same state dir run side by side without touching each other', {
  timeout: 240_000,
}, async () => {
  const state = tempStateDir();
  const reports = join(state, 'reports');
  const drill = () =>
    runCli('scenario.ts', ['db-outage', '--reports', reports, '--detection', 'probes'], {
      FIREDRILL_STATE_DIR: state,
    });

  const a = drill();
  await a.waitFor('steady-state: waiting for');
  const [idA] = runIdsIn(state);
  const b = drill();
  await b.waitFor('steady-state: waiting for');
  const idB = runIdsIn(state).find((id) => id !== idA)!;
  expect(idB).toBeDefined();

  // Both stacks are up: their processes and ports must not overlap.
  const fpA = captureFootprint(a, state, [idA!]);
  const fpB = captureFootprint(b, state, [idB]);
  const pids = (fp: typeof fpA) => fp.identities.map((p) => p.pid);
  expect(pids(fpA).length).toBeGreaterThan(0);
  expect(pids(fpB).length).toBeGreaterThan(0);
  expect(pids(fpA).filter((p) => pids(fpB).includes(p))).toEqual([]);
  expect(fpA.ports.length).toBeGreaterThan(0);
  expect(fpB.ports.length).toBeGreaterThan(0);
  expect(fpA.ports.filter((p) => fpB.ports.includes(p))).toEqual([]);

  const [codeA, codeB] = await Promise.all([a.exited, b.exited]);
  expect(a.stderr()).toMatch(/db-outage: resolved-by-runbook .* restored/);
  expect(b.stderr()).toMatch(/db-outage: resolved-by-runbook .* restored/);
  expect([codeA, codeB]).toEqual([0, 0]);

  const records = readdirSync(join(reports, 'runs')).map(
    (f) => JSON.parse(readFileSync(join(reports, 'runs', f), 'utf8')) as RecordLike,
  );
  const recA = records.find((r) => r.runId === idA)!;
  const recB = records.find((r) => r.runId === idB)!;
  expect(records).toHaveLength(2);
  for (const r of [recA, recB])
    expect(r).toMatchObject({ outcome: 'resolved-by-runbook', restore: { ok: true } });
  // The drills really overlapped: A's fault was live before B injected its own, and B's
  // fault landed before A had finished.
  expect(injectedAt(recA)).toBeLessThan(injectedAt(recB));
  expect(injectedAt(recB)).toBeLessThan(Date.parse(recA.finishedAt));

  expect(leftovers(fpA)).toEqual([]);
  expect(leftovers(fpB)).toEqual([]);
});

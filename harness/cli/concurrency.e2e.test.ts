/**
 * Two drills against the same target at once. On local "the same target" is this machine and
 * one state dir: the same ledger dir, run dir, reports dir, Postgres template cache and shared
 * firedrill cgroup parent. Each drill brings up its own stack on kernel-assigned loopback ports
 * (the platform takes no fixed port anywhere, so "port in use" cannot happen to a drill), its
 * own directories and cgroups, so the drills are isolated rather than locked out.
 *
 * The proof: A and B start together, so each one's fault (Postgres killed) lands while the
 * other's stack is up, in whatever phase the machine's load has put it. Had either fault,
 * remediation or teardown reached the other stack, that drill would fail to start, see
 * failures before its own injection (aborted) or not verify: both must end
 * resolved-by-runbook, on disjoint processes and ports, and leave nothing behind.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { captureFootprint, type Footprint, leftovers } from './footprint.ts';
import { type CliRun, runCli, runIdsIn, tempStateDir } from './testing.ts';

it('two db-outage drills on the same state dir run side by side without touching each other', {
  timeout: 240_000,
}, async () => {
  const state = tempStateDir();
  const reports = join(state, 'reports');
  const drill = () =>
    runCli('scenario.ts', ['db-outage', '--reports', reports, '--detection', 'probes'], {
      FIREDRILL_STATE_DIR: state,
    });

  // B starts as soon as A's run id is on disk (a fraction of a second), so the ids are told apart
  const a = drill();
  await a.waitFor('preflight: waiting for the local stack to come up');
  const [idA] = runIdsIn(state);
  const b = drill();
  await b.waitFor('preflight: waiting for the local stack to come up');
  const idB = runIdsIn(state).find((id) => id !== idA)!;
  expect(idB).toBeDefined();

  /** At the moment `x`'s fault is live: x's footprint, and whether the other stack still runs. */
  const atFault = async (x: CliRun, id: string, other: CliRun, otherId: string) => {
    await x.waitFor('detect: waiting for');
    const otherRunning =
      other.child.exitCode === null && captureFootprint(other, state, [otherId]).processes.length > 0;
    return { footprint: captureFootprint(x, state, [id]), otherRunning };
  };
  const [atA, atB] = await Promise.all([atFault(a, idA!, b, idB), atFault(b, idB, a, idA!)]);
  // The drills really overlapped: a fault was live while the other drill's stack was up. Which
  // one depends on the machine's load (seen in CI: B's fault can land after A has finished),
  // so asking it of both would test the scheduler, not isolation.
  expect(atA.otherRunning || atB.otherRunning).toBe(true);

  const fpA = atA.footprint;
  const fpB = atB.footprint;
  const pids = (fp: Footprint) => fp.identities.map((p) => p.pid);
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

  const records = readdirSync(join(reports, 'runs'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(reports, 'runs', f), 'utf8')));
  expect(records.map((r) => r.runId).sort()).toEqual([idA, idB].sort());
  for (const r of records) expect(r).toMatchObject({ outcome: 'resolved-by-runbook', restore: { ok: true } });

  expect(leftovers(fpA)).toEqual([]);
  expect(leftovers(fpB)).toEqual([]);
});

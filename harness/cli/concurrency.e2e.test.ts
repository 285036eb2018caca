/**
 * Two drills at once. On one namespace and state dir (the same ledger dir, run dir, reports
 * dir), the second is locked out: it refuses in one line naming the first drill, changes
 * nothing, and the first runs to its end undisturbed.
 *
 * With separate state dirs they run side by side on this machine (sharing the Postgres
 * template cache and the firedrill cgroup parent): each drill brings up its own stack on
 * kernel-assigned loopback ports (the platform takes no fixed port anywhere, so "port in use"
 * cannot happen to a drill), its own directories and cgroups, so the drills are isolated.
 *
 * The proof: A and B start together, so each one's fault (Postgres killed) lands while the
 * other's stack is up, in whatever phase the machine's load has put it. Had either fault,
 * remediation or teardown reached the other stack, that drill would fail to start, see
 * failures before its own injection (aborted) or not verify: both must end
 * resolved-by-runbook, on disjoint processes and ports, and leave nothing behind.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { captureFootprint, type Footprint, leftovers } from './footprint.ts';
import { type CliRun, runCli, runIdsIn, tempStateDir } from './testing.ts';

it('a second drill on the namespace of a running one refuses in one line and changes nothing', {
  timeout: 240_000,
}, async () => {
  const state = tempStateDir();
  const reports = join(state, 'reports');
  const drill = () =>
    runCli('scenario.ts', ['db-outage', '--reports', reports, '--detection', 'probes'], {
      FIREDRILL_STATE_DIR: state,
    });
  const a = drill();
  await a.waitFor('steady-state: waiting for'); // A's stack is up: it holds the lock
  const [idA] = runIdsIn(state);
  const footprint = captureFootprint(a, state, [idA!]);

  const b = drill();
  expect(await b.exited).toBe(2);
  expect(b.stderr()).toMatch(
    new RegExp(
      `^firedrill: error: namespace agent-agency is in use by drill PID ${a.child.pid} on \\S+ \\(started [^)]+\\); wait for it or run \`pnpm chaos status\`\n$`,
    ),
  );
  expect(runIdsIn(state)).toEqual([idA]); // B wrote no ledger and no run directory
  expect(a.child.exitCode).toBeNull(); // and A runs on

  expect(await a.exited, a.stderr()).toBe(0);
  expect(a.stderr()).toMatch(/db-outage: resolved-by-runbook .* restored/);
  expect(readdirSync(join(reports, 'runs'))).toEqual([`${idA}.json`]);
  expect(existsSync(join(state, 'locks'))).toBe(false); // A released the lock at restore
  expect(leftovers(footprint)).toEqual([]);
});

it('two db-outage drills on separate state dirs run side by side without touching each other', {
  timeout: 240_000,
}, async () => {
  const stateA = tempStateDir();
  const stateB = tempStateDir();
  const drill = (state: string) =>
    runCli('scenario.ts', ['db-outage', '--reports', join(state, 'reports'), '--detection', 'probes'], {
      FIREDRILL_STATE_DIR: state,
    });

  const a = drill(stateA);
  await a.waitFor('preflight: waiting for the local stack to come up');
  const [idA] = runIdsIn(stateA);
  const b = drill(stateB);
  await b.waitFor('preflight: waiting for the local stack to come up');
  const [idB] = runIdsIn(stateB);
  expect(idB).toBeDefined();

  /** At the moment `x`'s fault is live: x's footprint, and whether the other stack still runs. */
  const atFault = async (
    x: CliRun,
    xState: string,
    id: string,
    other: CliRun,
    otherState: string,
    otherId: string,
  ) => {
    await x.waitFor('detect: waiting for');
    const otherRunning =
      other.child.exitCode === null && captureFootprint(other, otherState, [otherId]).processes.length > 0;
    return { footprint: captureFootprint(x, xState, [id]), otherRunning };
  };
  const [atA, atB] = await Promise.all([
    atFault(a, stateA, idA!, b, stateB, idB!),
    atFault(b, stateB, idB!, a, stateA, idA!),
  ]);
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

  const records = [stateA, stateB].flatMap((state) =>
    readdirSync(join(state, 'reports', 'runs'))
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(join(state, 'reports', 'runs', f), 'utf8'))),
  );
  expect(records.map((r) => r.runId)).toEqual([idA, idB]);
  for (const r of records) expect(r).toMatchObject({ outcome: 'resolved-by-runbook', restore: { ok: true } });

  expect(leftovers(fpA)).toEqual([]);
  expect(leftovers(fpB)).toEqual([]);
});

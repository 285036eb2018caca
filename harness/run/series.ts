/**
 * The drills of one invocation and what they run on: a site (ledger, run directory, Prometheus,
 * the platform's stack) opened for the first drill and, on local, kept for the next once it is
 * back at its baseline. compose.ts wires one drill's collaborators onto a site's stack.
 */

import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { withDeadline } from '../core/deadline.ts';
import { errorMessage } from '../core/errors.ts';
import { defaultLedgerDir, Ledger, stateRoot } from '../core/ledger.ts';
import { Session } from '../core/session.ts';
import type { RunningStack } from '../platforms/types.ts';
import type { RunRecord } from '../report/record.ts';
import { createHttpVerifier } from '../verify/checks.ts';
import {
  apiKeyOf,
  checkedPlatform,
  type DrillRequest,
  drillOn,
  type EarlyPrometheus,
  launchPrometheus,
  newRunId,
  wantsPrometheus,
} from './compose.ts';
import { loadRunbook } from './runbook-plan.ts';
import { testFaultNote } from './test-faults.ts';

/**
 * Bound on taking the stack down. Its restore waits for rollouts (kube: up to 3 min each); a
 * hung API server must end in a message that says how to finish, not in a harness that hangs.
 */
const DOWN_DEADLINE_MS = 10 * 60_000;

/** What drills run on: the ledger, the run directory, the platform's stack and our Prometheus. */
export interface Site {
  readonly ledger: Ledger;
  readonly stack: RunningStack;
  readonly prometheus: EarlyPrometheus | undefined;
  readonly limitations: readonly string[];
  close(): Promise<void>;
}

/** Ledger, platform checks, run directory, Prometheus and stack up; each registers its undo as acquired. */
async function openSite(req: DrillRequest, runId: string): Promise<Site> {
  const session = new Session();
  try {
    const ledger = session.adopt(Ledger.open(defaultLedgerDir(), runId), (l) => l.close());
    req.onPhase?.('preflight', 'platform checks');
    const { platform, pre } = await checkedPlatform(req, ledger);
    for (const l of pre.limitations) req.log.warn(l);
    if (req.testFault) req.log.warn(testFaultNote(req.testFault));
    const run = runDirectory(session, ledger, runId);
    req.onPhase?.('preflight', `the ${req.platform} stack to come up`);
    const prometheus = wantsPrometheus(req)
      ? session.adopt(launchPrometheus(req, run.dir, ledger), (p) => p.stop())
      : undefined;
    // up() takes down what it started if it fails (or is interrupted)
    const stack = await platform.up({ stateDir: run.dir, signal: req.signal });
    // Prometheus stops while the stack comes down, not after it
    session.defer(() =>
      Promise.all([takeDown(req, stack).catch(run.keep), prometheus?.stop()]).then(() => undefined),
    );
    const owned = session.move();
    return { ledger, stack, prometheus, limitations: pre.limitations, close: () => owned.close() };
  } finally {
    await session.close(); // empty once moved: undoes only a start that failed halfway
  }
}

/**
 * The drills of one invocation. With `reuseStack` (local), each runs on the stack and Prometheus
 * the one before left, once they are restored to the baseline and that is verified
 * (restoreBaseline); where that fails, the stack is taken down and the drill starts a fresh one.
 * Without, every drill has a stack of its own.
 */
export class DrillSeries {
  private site: Site | undefined;
  /** What the last drill on the site left: its restore's errors and its ledger entries still pending. */
  private left: (() => string[]) | undefined;
  private readonly reuseStack: boolean;
  private readonly toBaseline: typeof restoreBaseline;

  /** `toBaseline` replaces restoreBaseline: a test can make the baseline not verify. */
  constructor(opts: { reuseStack: boolean; toBaseline?: typeof restoreBaseline }) {
    this.reuseStack = opts.reuseStack;
    this.toBaseline = opts.toBaseline ?? restoreBaseline;
  }

  async run(req: DrillRequest): Promise<RunRecord> {
    const runbookFile = resolve(
      req.repoRoot,
      req.runbookPath ?? req.scenario.runbook.file ?? req.target.runbook,
    );
    const runbook = { file: runbookFile, ...loadRunbook(runbookFile) };
    const runId = newRunId(req.scenario.name, req.clock);
    try {
      const reused = this.site !== undefined && (await this.keepOrDrop(req));
      this.site ??= await openSite(req, runId);
      const { prometheus, limitations, stack } = this.site;
      const ledger = this.site.ledger.scope();
      const prometheusClear = reused && prometheus ? alertsCleared(prometheus, req) : undefined;
      const setup = {
        req,
        runId,
        ledger,
        runbook,
        prometheus,
        ...(prometheusClear ? { prometheusClear } : {}),
        testFault: req.testFault,
        limitations,
      };
      const record = await drillOn(stack, setup);
      const stale = await prometheusClear;
      this.left = () => [
        ...(record.restore.ok
          ? []
          : [`restore failed: ${record.restore.errors.join('; ') || 'see the run record'}`]),
        ...ledger.pendingOwn().map((e) => `ledger: ${e.what} not undone`),
        ...(stale ? [stale] : []),
      ];
      return record;
    } catch (err) {
      await this.close();
      throw err;
    } finally {
      if (!this.reuseStack) await this.close();
    }
  }

  /** Restore the baseline the last drill left; if it does not verify, a fresh stack for the next. True: kept. */
  private async keepOrDrop(req: DrillRequest): Promise<boolean> {
    req.onPhase?.('preflight', 'the stack to be back at its baseline');
    const left = this.left?.() ?? [];
    const { reset, problems } = left.length
      ? { reset: [], problems: left }
      : await this.toBaseline(this.site!, req).catch((err: unknown) => ({
          reset: [],
          problems: [errorMessage(err)],
        }));
    req.signal.throwIfAborted(); // interrupted: nothing more to start; the caller takes it down
    if (reset.length) req.log.info(`baseline restored: ${reset.join('; ')}`);
    if (problems.length === 0) return true;
    req.log.warn(
      `the stack did not verify at its baseline (${problems.join('; ')}): taking it down, this drill starts a fresh one`,
    );
    await this.close();
    return false;
  }

  async close(): Promise<void> {
    const site = this.site;
    this.site = undefined;
    await site?.close();
  }
}

const BASELINE_WAIT_MS = 30_000;

/**
 * Between two drills on one stack, what the next must not inherit: a workload off the stack
 * file's spec (the runbook's scale, env or resources), a fault's plumbing, failing health, or
 * Prometheus's memory of the drill (its series are deleted here; its alerts resolve at the next
 * evaluation, which alertsCleared waits for while the next drill's steady state runs).
 * Resets what it can, then verifies; `problems` is what did not verify ([] = the next may run).
 */
export async function restoreBaseline(
  site: Site,
  req: DrillRequest,
): Promise<{ reset: string[]; problems: string[] }> {
  const { stack } = site;
  if (!stack.resetToSpec || !stack.offSpec)
    return { reset: [], problems: [`the ${stack.platform} stack cannot reset itself`] };
  const reset = await stack.resetToSpec();
  const offSpec = stack.offSpec.bind(stack);
  const verifier = createHttpVerifier({
    baseUrl: await stack.endpoint(req.target.entry.service),
    apiKey: await apiKeyOf(req.target, stack),
    routes: req.target.checks,
    checks: ['health'],
    clock: req.clock,
  });
  const deadline = req.clock.now().monoMs + BASELINE_WAIT_MS;
  for (const [what, check] of [
    ['stack at spec', offSpec],
    ['health', async () => (await verifier.round(req.signal)).failures],
  ] as const) {
    const problems = await waitFor(what, check, req, deadline);
    if (problems.length) return { reset, problems };
  }
  const prom = site.prometheus;
  if (prom) {
    if (await prom.launched) return { reset, problems: ['prometheus did not start'] };
    await prom.prom.forget();
  }
  return { reset, problems: [] };
}

/** Settles when our Prometheus has no alert active: a message if one still is after the wait, never a rejection. */
export async function alertsCleared(prom: EarlyPrometheus, req: DrillRequest): Promise<string | undefined> {
  const active = async () => (await prom.prom.poll()).map((a) => `${a.alert} ${a.state}`);
  try {
    const left = await waitFor('no alert active', active, req, req.clock.now().monoMs + BASELINE_WAIT_MS);
    return left.length
      ? `the last drill's alerts are still active after ${BASELINE_WAIT_MS / 1000} s (${left.join('; ')})`
      : undefined;
  } catch (err) {
    return `prometheus: ${errorMessage(err)}`;
  }
}

/** Poll `check` until it finds no problem or the deadline passes; what it still finds, prefixed with `what`. */
async function waitFor(
  what: string,
  check: () => Promise<readonly string[]>,
  req: DrillRequest,
  deadline: number,
): Promise<string[]> {
  const from = req.clock.now().monoMs;
  let problems = await check();
  while (problems.length && req.clock.now().monoMs < deadline && !req.signal.aborted) {
    await req.clock.sleep(200, req.signal).catch(() => undefined);
    problems = await check();
  }
  if (!problems.length)
    req.log.debug(`baseline: ${what} after ${((req.clock.now().monoMs - from) / 1000).toFixed(1)} s`);
  return problems.map((p) => `${what}: ${p}`);
}

/**
 * The run's private directory, ledgered before it exists. A stack that would not come down may
 * still need it: then it stays, with its ledger entry, for pnpm chaos cleanup.
 */
function runDirectory(session: Session, ledger: Ledger, runId: string) {
  const dir = join(stateRoot(), 'runs', runId);
  let kept = false;
  const entry = ledger.record(`run directory ${dir}`, { type: 'remove-dir', path: dir });
  session.defer(() => {
    if (kept) return;
    rmSync(dir, { recursive: true, force: true });
    ledger.settle(entry.id);
  });
  return {
    dir,
    keep: (err: unknown): never => {
      kept = true;
      throw err;
    },
  };
}

function takeDown(req: DrillRequest, stack: RunningStack): Promise<void> {
  req.onPhase?.('restore', `the ${req.platform} stack to come down`);
  return withDeadline(
    stack.down(),
    DOWN_DEADLINE_MS,
    () =>
      new Error(
        `the ${req.platform} stack did not come down within ${DOWN_DEADLINE_MS / 60_000} min; what the drill changed is in the ledger: run pnpm chaos cleanup`,
      ),
  );
}

/**
 * The spec-change faults (a bad env rollout, a memory limit) on the real local Agent Agency
 * stack: each is observable once inject returns, and revert puts back the spec, the replica
 * count a runbook step changed meanwhile, and settles its own ledger entry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../core/clock.ts';
import { silentLogger } from '../core/log.ts';
import type { LocalStack } from '../platforms/local/stack.ts';
import type { Fault } from '../scenario/schema.ts';
import { agentAgencyPlatform, eventually, type Sandbox, sandbox } from '../testing/local-sandbox.ts';
import { createFault } from './index.ts';

const ORCH = 'agent-agency-orchestrator';

let box: Sandbox;
let stack: LocalStack;
let memoryLimitation: string | undefined;

beforeAll(async () => {
  box = sandbox();
  const platform = agentAgencyPlatform(box);
  memoryLimitation = (await platform.preflight()).limitations.find((l) => l.startsWith('memory'));
  stack = (await platform.up({ stateDir: box.stateDir })) as LocalStack;
});

afterAll(async () => {
  await stack?.down();
  expect(box.ledger.pending()).toEqual([]);
  box.cleanup();
});

/** Inject, let a runbook-like step scale the workload down, revert; returns the status before. */
async function injectScaleRevert(spec: Fault, what: RegExp) {
  const before = await stack.status(ORCH);
  const ctx = { stack, ledger: box.ledger, clock: systemClock, log: silentLogger, confirmTimeoutMs: 30_000 };
  const fault = await createFault(spec).inject(ctx);
  expect(box.ledger.pending().some((e) => what.test(e.what))).toBe(true);
  await stack.scale(ORCH, 1);
  await fault.revert();
  const after = await stack.status(ORCH);
  expect(after.desiredReplicas).toBe(before.desiredReplicas);
  expect(box.ledger.pending().some((e) => what.test(e.what))).toBe(false);
  await eventually(
    'ready again',
    async () => (await stack.status(ORCH)).readyReplicas === before.desiredReplicas,
  );
  return { before, after };
}

describe('spec-change faults on local', () => {
  it('bad-config-rollout: revert restores the env and the replicas', async () => {
    const { before, after } = await injectScaleRevert(
      { kind: 'bad-config-rollout', workload: ORCH, env: { DB_POOL_MAX: 'not-a-number' } },
      /roll out env DB_POOL_MAX=not-a-number/,
    );
    expect(after.env['DB_POOL_MAX']).toBe(before.env['DB_POOL_MAX']);
  });

  it('resource-pressure oom: revert restores the resources and the replicas', async (ctx) => {
    if (memoryLimitation) ctx.skip();
    const { before, after } = await injectScaleRevert(
      { kind: 'resource-pressure', workload: ORCH, mode: 'oom', resources: { limits: { memory: '24Mi' } } },
      /lower limits to {"memory":"24Mi"}/,
    );
    expect(after.resources).toEqual(before.resources);
  });
});

/**
 * Fault drivers, one per fault kind, built on platform verbs. Each records its undo in the
 * ledger before changing anything; the platform supplies crash-safe recipes where it can.
 */
import type { Client } from 'pg';
import { UserError } from '../core/errors.ts';
import type { UndoAction } from '../core/ledger.ts';
import type { PlatformAction, RunningStack, WorkloadStatus } from '../platforms/types.ts';
import type { Fault } from '../scenario/schema.ts';
import type { FaultAdapter } from './adapter.ts';
import type { FaultContext, FaultDriver, InjectedFault } from './types.ts';
import { confirm } from './wait.ts';

export type { FaultContext, FaultDriver, InjectedFault } from './types.ts';

export interface FaultOptions {
  /** The target's adapters (its config's `faults`): a kind with one is injected by it. */
  readonly adapters?: readonly FaultAdapter[];
  /** The target's namespace: its workloads' common `<namespace>-` prefix shortens policy names. */
  readonly namespace?: string;
}

export function createFault(spec: Fault, opts: FaultOptions = {}): FaultDriver {
  const adapter = opts.adapters?.find((a) => a.kind === spec.kind);
  if (adapter) return adapter.create(spec as never);
  switch (spec.kind) {
    case 'none':
      return {
        kind: spec.kind,
        describe: () => 'no fault (control run)',
        inject: async () => ({ description: 'no fault', revert: async () => {} }),
      };
    case 'bad-config-rollout':
      return badConfigRollout(spec);
    case 'dependency-down':
      return dependencyDown(spec);
    case 'pool-exhaustion':
      return poolExhaustion(spec);
    case 'llm-rate-limit':
      throw new UserError(
        `fault ${spec.kind}: the target's config names no fault adapter for it (config faults: [...])`,
      );
    case 'resource-pressure':
      return resourcePressure(spec);
    case 'network-deny':
      return networkDeny(spec, opts.namespace);
    case 'dns-failure':
      return dnsFailure(spec);
  }
}

/** Record the change in the ledger, apply it through the platform, return the entry id. */
async function recordAndPerform(
  ctx: FaultContext,
  what: string,
  action: PlatformAction,
  before?: WorkloadStatus,
) {
  const undo: UndoAction = ctx.stack.undoRecipe?.(action, before) ?? {
    type: 'none',
    reason: `${ctx.stack.platform} platform: reverted with the stack it belongs to`,
  };
  const entry = ctx.ledger.record(what, undo);
  await ctx.stack.perform(action);
  return entry.id;
}

/**
 * A spec change rolled out to every instance at once (so the fault reaches all of them), applied
 * and confirmed observable. Its revert puts the spec back with `putBack`, then the replica count
 * (the runbook may have scaled), then the rollout strategy.
 */
async function injectSpecChange(
  ctx: FaultContext,
  what: string,
  before: WorkloadStatus,
  change: Extract<PlatformAction, { verb: 'set-env' | 'set-resources' }>,
  putBack: () => Promise<void>,
  observable: () => Promise<boolean>,
): Promise<InjectedFault> {
  const everywhere = await ctx.stack.rolloutAllAtOnce?.(change.workload);
  const id = await recordAndPerform(ctx, what, change, before);
  const appliedAt = ctx.clock.now();
  await confirm(ctx, what, observable);
  return {
    description: what,
    appliedAt,
    async revert() {
      // Replicas first: local serialises a workload's changes, so a scale after the spec would
      // wait for its whole rolling restart, on the runbook's extra replicas too (~7 s restore).
      await scaleBack(ctx.stack, change.workload, before);
      await putBack();
      await everywhere?.restore();
      ctx.ledger.settle(id);
    },
  };
}

/** Back to the replica count from before the fault, if a step changed it; returns the status found. */
async function scaleBack(stack: RunningStack, workload: string, before: WorkloadStatus) {
  const now = await stack.status(workload);
  if (now.desiredReplicas !== before.desiredReplicas) await stack.scale(workload, before.desiredReplicas);
  return now;
}

const notReady = (stack: RunningStack, workload: string) => async () => {
  const s = await stack.status(workload);
  return s.readyReplicas < Math.max(1, s.desiredReplicas);
};

function badConfigRollout(spec: Extract<Fault, { kind: 'bad-config-rollout' }>): FaultDriver {
  const what = `${spec.workload}: roll out env ${Object.entries(spec.env)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')}`;
  return {
    kind: spec.kind,
    describe: () => what,
    async inject(ctx) {
      const before = await ctx.stack.status(spec.workload);
      const baselineEnv = Object.fromEntries(Object.keys(spec.env).map((k) => [k, before.env[k] ?? null]));
      return injectSpecChange(
        ctx,
        what,
        before,
        { verb: 'set-env', workload: spec.workload, env: spec.env },
        () => ctx.stack.setEnv(spec.workload, baselineEnv),
        async () => {
          const s = await ctx.stack.status(spec.workload);
          return s.state === 'CrashLoopBackOff' || s.pods.some((p) => p.restarts > 0 && !p.ready);
        },
      );
    },
  };
}

function dependencyDown(spec: Extract<Fault, { kind: 'dependency-down' }>): FaultDriver {
  const what =
    spec.mode === 'kill'
      ? `${spec.workload}: SIGKILL every instance and keep it down`
      : `${spec.workload}: scale to zero replicas`;
  return {
    kind: spec.kind,
    describe: () => what,
    async inject(ctx) {
      const before = await ctx.stack.status(spec.workload);
      let id: string;
      if (spec.mode === 'kill' && ctx.stack.halt) {
        const undo = ctx.stack.undoRecipe?.({ verb: 'rollout-restart', workload: spec.workload }, before) ?? {
          type: 'none' as const,
          reason: 'the halted workload belongs to the stack, which cleanup removes',
        };
        id = ctx.ledger.record(what, undo).id;
        await ctx.stack.halt(spec.workload);
      } else {
        id = await recordAndPerform(
          ctx,
          what,
          { verb: 'scale', workload: spec.workload, replicas: 0 },
          before,
        );
      }
      const appliedAt = ctx.clock.now();
      await confirm(ctx, what, async () => (await ctx.stack.status(spec.workload)).readyReplicas === 0);
      const halted = spec.mode === 'kill' && ctx.stack.halt;
      return {
        description: what,
        appliedAt,
        ...(halted && ctx.stack.haltDiffers ? { limitations: [ctx.stack.haltDiffers] } : {}),
        async revert() {
          const now = await scaleBack(ctx.stack, spec.workload, before);
          if (now.desiredReplicas === before.desiredReplicas && now.readyReplicas < before.desiredReplicas)
            await ctx.stack.rolloutRestart(spec.workload);
          ctx.ledger.settle(id);
        },
      };
    },
  };
}

function poolExhaustion(spec: Extract<Fault, { kind: 'pool-exhaustion' }>): FaultDriver {
  const what = `${spec.workload}: hold up to ${spec.connections} connections until the server refuses more`;
  return {
    kind: spec.kind,
    describe: () => what,
    async inject(ctx) {
      const url = await ctx.stack.endpoint(spec.workload);
      const id = ctx.ledger.record(what, {
        type: 'none',
        reason: 'held connections close when the harness exits',
      }).id;
      // loaded here: pg is ~10 MB of the harness's memory, and only this fault needs it
      const { default: pg } = await import('pg');
      const held: Client[] = [];
      for (let i = 0; i < spec.connections; i++) {
        const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
        client.on('error', () => {});
        try {
          await client.connect();
          held.push(client);
        } catch {
          break; // "too many clients": the pool is exhausted
        }
      }
      if (held.length === 0) throw new Error(`could not open any connection to ${spec.workload}`);
      ctx.log.debug('pool exhaustion: holding connections', { held: held.length });
      return {
        description: `${what} (held ${held.length})`,
        async revert() {
          await Promise.allSettled(held.splice(0).map((c) => c.end()));
          ctx.ledger.settle(id);
        },
      };
    },
  };
}

function resourcePressure(spec: Extract<Fault, { kind: 'resource-pressure' }>): FaultDriver {
  const what =
    spec.mode === 'cpu-stress'
      ? `${spec.workload}: CPU stressor inside its limits`
      : `${spec.workload}: lower limits to ${JSON.stringify(spec.resources?.limits ?? {})}`;
  return {
    kind: spec.kind,
    describe: () => what,
    async inject(ctx) {
      const before = await ctx.stack.status(spec.workload);
      if (spec.mode === 'cpu-stress') {
        if (!ctx.stack.startStressor)
          throw new UserError(`the ${ctx.stack.platform} platform cannot run a stressor`);
        const id = ctx.ledger.record(what, {
          type: 'none',
          reason: 'the stressor runs in the stack, which cleanup removes',
        }).id;
        const stressor = await ctx.stack.startStressor(spec.workload, {
          cpuWorkers: 2,
          durationMs: 10 * 60_000,
        });
        return {
          description: what,
          async revert() {
            await stressor.stop();
            ctx.ledger.settle(id);
          },
        };
      }
      const resources = spec.resources ?? { limits: { memory: '64Mi' } };
      return injectSpecChange(
        ctx,
        what,
        before,
        { verb: 'set-resources', workload: spec.workload, resources },
        () => ctx.stack.setResources(spec.workload, before.resources),
        spec.mode === 'oom'
          ? async () => {
              const s = await ctx.stack.status(spec.workload);
              return s.pods.some((p) => p.lastTermination?.reason === 'OOMKilled' || p.state === 'OOMKilled');
            }
          : notReady(ctx.stack, spec.workload),
      );
    },
  };
}

function networkDeny(spec: Extract<Fault, { kind: 'network-deny' }>, namespace?: string): FaultDriver {
  const short =
    namespace && spec.from.startsWith(`${namespace}-`) ? spec.from.slice(namespace.length + 1) : spec.from;
  const name = `firedrill-deny-${short}`;
  const what = `deny traffic ${spec.from} -> ${spec.to.join(', ')} (policy ${name})`;
  return {
    kind: spec.kind,
    describe: () => what,
    async inject(ctx) {
      const action: PlatformAction = { verb: 'delete-network-policy', name };
      const undo = ctx.stack.undoRecipe?.(action, undefined) ?? {
        type: 'none' as const,
        reason: 'the fault proxy belongs to the stack, which cleanup removes',
      };
      const id = ctx.ledger.record(what, undo).id;
      const limitations = await ctx.stack.applyNetworkDeny({ name, from: spec.from, to: spec.to });
      const appliedAt = ctx.clock.now();
      await confirm(ctx, what, async () => (await ctx.stack.listNetworkDenies()).includes(name));
      return {
        description: what,
        limitations,
        appliedAt,
        async revert() {
          if ((await ctx.stack.listNetworkDenies()).includes(name)) await ctx.stack.removeNetworkDeny(name);
          ctx.ledger.settle(id);
        },
      };
    },
  };
}

function dnsFailure(spec: Extract<Fault, { kind: 'dns-failure' }>): FaultDriver {
  const what = `${spec.workload}: names ${spec.names.join(', ')} stop resolving`;
  return {
    kind: spec.kind,
    describe: () => what,
    async inject(ctx) {
      if (!ctx.stack.breakDns) throw new UserError(`the ${ctx.stack.platform} platform cannot break DNS`);
      const id = ctx.ledger.record(what, {
        type: 'none',
        reason: 'name resolution is restored with the stack',
      }).id;
      const broken = await ctx.stack.breakDns(spec.workload, spec.names);
      return {
        description: what,
        async revert() {
          await broken.restore();
          ctx.ledger.settle(id);
        },
      };
    },
  };
}

/**
 * The writes a runbook makes to a Deployment, as JSON patches built from the live object, with
 * kubectl's semantics: `set env` and `set resources` touch every container, a value replaces a
 * `valueFrom`, null removes, unnamed limits and requests stay. Each container is addressed by
 * index and guarded by a `test` of its name, so a patch built from a stale read fails instead
 * of writing into the wrong container.
 */
import type { V1Deployment, V1DeploymentStrategy } from '@kubernetes/client-node';
import { cpuCores, memoryBytes } from '../../core/quantity.ts';
import type { ResourceSpec } from '../types.ts';
import type { JsonPatchOp } from './api.ts';

const containers = (d: V1Deployment) => d.spec?.template.spec?.containers ?? [];

export function envOps(d: V1Deployment, changes: Readonly<Record<string, string | null>>): JsonPatchOp[] {
  return containers(d).flatMap((c, i) => {
    const env = (c.env ?? []).filter((e) => !(e.name in changes));
    for (const [k, v] of Object.entries(changes)) if (v !== null) env.push({ name: k, value: v });
    const path = `/spec/template/spec/containers/${i}`;
    return [
      { op: 'test' as const, path: `${path}/name`, value: c.name },
      { op: 'add' as const, path: `${path}/env`, value: env },
    ];
  });
}

export function resourcesOps(d: V1Deployment, resources: ResourceSpec): JsonPatchOp[] {
  return containers(d).flatMap((c, i) => {
    const next = {
      ...(c.resources ?? {}),
      ...withRequestsWithinLimits(
        { ...(c.resources?.limits ?? {}), ...(resources.limits ?? {}) },
        { ...(c.resources?.requests ?? {}), ...(resources.requests ?? {}) },
      ),
    };
    const path = `/spec/template/spec/containers/${i}`;
    return [
      { op: 'test' as const, path: `${path}/name`, value: c.name },
      { op: 'add' as const, path: `${path}/resources`, value: next },
    ];
  });
}

/**
 * The API rejects a request above its limit. Lowering a limit below the request (the
 * resource-pressure fault) lowers the request with it, as an operator would have to.
 */
export function withRequestsWithinLimits(
  limits: Record<string, string>,
  requests: Record<string, string>,
): { limits: Record<string, string>; requests: Record<string, string> } {
  const out = { ...requests };
  const measure: Record<string, (q: string) => number> = { cpu: cpuCores, memory: memoryBytes };
  for (const [kind, of] of Object.entries(measure)) {
    const limit = limits[kind];
    const request = out[kind];
    if (limit !== undefined && request !== undefined && of(String(request)) > of(String(limit)))
      out[kind] = limit;
  }
  return { limits, requests: out };
}

/** `kubectl rollout restart`: a new pod-template annotation, so the controller rolls. */
export const restartPatch = (atWallMs: number) => ({
  spec: {
    template: {
      metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': new Date(atWallMs).toISOString() } },
    },
  },
});

/** Every pod replaced at once on the next rollout: no surge, all may be unavailable. */
export const ALL_AT_ONCE: V1DeploymentStrategy = {
  type: 'RollingUpdate',
  rollingUpdate: { maxUnavailable: '100%', maxSurge: 0 },
};

/**
 * Getting the system under test onto the cluster: the fixture manifests are rendered with
 * kustomize, checked (every object must land in the drill's namespace, and that namespace must
 * carry the drill-target label), then applied exactly as checked. Applying also resets whatever
 * an earlier, interrupted drill left in the declared fields (replicas, env, resources).
 */

import { parseAllDocuments } from 'yaml';
import { UserError } from '../../core/errors.ts';
import { DRILL_TARGET_LABEL, isDrillTarget } from './guard.ts';
import { type KubectlTarget, runKubectl } from './kubectl.ts';

interface ManifestObject {
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
}

/** Render a kustomize directory (no cluster access) and check where every object would go. */
export async function renderManifests(t: KubectlTarget, dir: string): Promise<string> {
  const r = await runKubectl(t, ['kustomize', dir], { timeoutMs: 60_000, namespaced: false });
  if (r.code !== 0)
    throw new UserError(`kubectl kustomize ${dir} failed: ${r.stderr.trim().split('\n').pop()}`);
  const objects = parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as ManifestObject | null)
    .filter((o): o is ManifestObject => !!o);
  for (const o of objects) {
    const what = `${o.kind}/${o.metadata?.name}`;
    if (o.kind === 'Namespace') {
      if (o.metadata?.name !== t.namespace)
        throw new UserError(`${dir}: ${what} is not the drill namespace ${t.namespace}; refusing to apply`);
      if (!isDrillTarget(o.metadata?.labels))
        throw new UserError(`${dir}: ${what} lacks the label ${DRILL_TARGET_LABEL}=true; refusing to apply`);
    } else if (o.metadata?.namespace !== t.namespace) {
      throw new UserError(
        `${dir}: ${what} would land in ${o.metadata?.namespace ?? 'a cluster-wide scope'}, not ${t.namespace}; refusing to apply`,
      );
    }
  }
  return r.stdout;
}

export async function applyManifests(t: KubectlTarget, rendered: string, timeoutMs: number): Promise<void> {
  const r = await runKubectl(t, ['apply', '-f', '-'], { timeoutMs, stdin: rendered });
  if (r.code !== 0)
    throw new Error(
      `kubectl apply failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`,
    );
}

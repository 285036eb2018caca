/**
 * Getting the system under test onto the cluster: the fixture manifests are rendered with
 * kustomize, checked (every object must land in the drill's namespace, and that namespace must
 * carry the drill-target label), then applied exactly as checked. Applying also resets whatever
 * an earlier, interrupted drill left in the declared fields (replicas, env, resources).
 */

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve as resolvePath } from 'node:path';
import { parseAllDocuments, parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { UserError } from '../../core/errors.ts';
import { pinNamespace } from '../../runbook/shell-executor.ts';
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

const PATH_FIELDS = ['certificate-authority', 'client-certificate', 'client-key', 'tokenFile'];

/**
 * The kubeconfig runbook steps get: only the drill's context (so a step naming `--context prod`
 * finds nothing to reach), relative file paths made absolute, the namespace pinned.
 */
export async function writeStepKubeconfig(t: KubectlTarget, dir: string): Promise<string> {
  const doc = parseYaml(await readFile(t.kubeconfigPath, 'utf8')) as {
    contexts?: { name: string; context: { cluster: string; user: string } }[];
    clusters?: { name: string; cluster: Record<string, unknown> }[];
    users?: { name: string; user: Record<string, unknown> }[];
  };
  const ctx = doc.contexts?.find((c) => c.name === t.context);
  if (!ctx) throw new UserError(`${t.kubeconfigPath}: no context ${t.context}`);
  const base = dirname(t.kubeconfigPath);
  const absolute = <T extends Record<string, unknown>>(o: T | undefined): T | undefined => {
    if (!o) return o;
    const out: Record<string, unknown> = { ...o };
    for (const f of PATH_FIELDS) {
      const v = out[f];
      if (typeof v === 'string' && !isAbsolute(v)) out[f] = resolvePath(base, v);
    }
    return out as T;
  };
  const cluster = doc.clusters?.find((c) => c.name === ctx.context.cluster);
  const user = doc.users?.find((u) => u.name === ctx.context.user);
  const minimal = {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': t.context,
    contexts: [{ name: t.context, context: { cluster: ctx.context.cluster, user: ctx.context.user } }],
    clusters: cluster ? [{ name: cluster.name, cluster: absolute(cluster.cluster) }] : [],
    users: user ? [{ name: user.name, user: absolute(user.user) }] : [],
  };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const source = join(dir, 'kubeconfig.source');
  await writeFile(source, stringifyYaml(minimal), { mode: 0o600 });
  return pinNamespace(source, t.namespace, join(dir, 'steps'));
}

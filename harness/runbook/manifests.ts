/**
 * What the system's Kubernetes manifests define (kind, name, namespace, replicas, pod
 * labels), read from a kustomize directory. Lint compares the runbook's resource
 * references with this, with no cluster needed.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { UserError } from '../core/errors.ts';
import { canonicalKind } from './kubectl.ts';

export interface ManifestResource {
  /** Canonical lower-case kind ('deployment', 'statefulset', 'horizontalpodautoscaler'). */
  readonly kind: string;
  /** As written in the manifest ('Deployment'). */
  readonly apiKind: string;
  readonly name: string;
  readonly namespace?: string;
  /** File relative to the manifests directory. */
  readonly file: string;
  readonly replicas?: number;
  /** Labels of the pod template (workloads) or of the object. */
  readonly podLabels: Readonly<Record<string, string>>;
  /** HorizontalPodAutoscaler: the workload it scales and its bounds. */
  readonly autoscales?: {
    readonly kind: string;
    readonly name: string;
    readonly min: number;
    readonly max: number;
  };
}

export interface ManifestIndex {
  readonly dir: string;
  readonly resources: readonly ManifestResource[];
  readonly namespaces: ReadonlySet<string>;
  /** Kinds that CustomResourceDefinitions in the manifests add (canonical). */
  readonly customKinds: ReadonlySet<string>;
}

async function yamlFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await yamlFiles(p)));
    else if (/\.ya?ml$/i.test(entry.name)) out.push(p);
  }
  return out.sort();
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
const strings = (v: unknown): Record<string, string> =>
  Object.fromEntries(
    Object.entries(obj(v) ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );

/** Read every YAML document under `dir`. Throws UserError for a missing directory or invalid YAML. */
export async function loadManifests(dir: string): Promise<ManifestIndex> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new UserError(`manifests directory ${dir} does not exist`);
  const resources: ManifestResource[] = [];
  const namespaces = new Set<string>();
  const customKinds = new Set<string>();
  for (const file of await yamlFiles(dir)) {
    const rel = relative(dir, file);
    const docs = parseAllDocuments(await readFile(file, 'utf8'));
    for (const doc of Array.isArray(docs) ? docs : [docs]) {
      if (doc.errors.length)
        throw new UserError(`${file}: invalid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
      const o = obj(doc.toJS());
      if (!o) continue;
      // kustomization.yaml: its namespace applies to every resource it lists.
      if (typeof o['namespace'] === 'string' && /kustomization/i.test(String(o['kind'] ?? rel)))
        namespaces.add(o['namespace']);
      const apiKind = o['kind'];
      const meta = obj(o['metadata']);
      const name = meta?.['name'];
      if (typeof apiKind !== 'string' || typeof name !== 'string' || apiKind === 'Kustomization') continue;
      if (typeof meta?.['namespace'] === 'string') namespaces.add(meta['namespace']);
      if (apiKind === 'Namespace') namespaces.add(name);
      if (apiKind === 'CustomResourceDefinition') {
        const names = obj(obj(o['spec'])?.['names']);
        for (const k of ['kind', 'plural', 'singular'])
          if (typeof names?.[k] === 'string') customKinds.add(canonicalKind(names[k] as string));
        for (const s of (names?.['shortNames'] as unknown[]) ?? [])
          if (typeof s === 'string') customKinds.add(s);
      }
      const spec = obj(o['spec']);
      const templateLabels = strings(obj(obj(spec?.['template'])?.['metadata'])?.['labels']);
      const target = obj(spec?.['scaleTargetRef']);
      const autoscales =
        apiKind === 'HorizontalPodAutoscaler' &&
        typeof target?.['name'] === 'string' &&
        typeof target['kind'] === 'string'
          ? {
              kind: canonicalKind(target['kind']),
              name: target['name'],
              min: typeof spec?.['minReplicas'] === 'number' ? spec['minReplicas'] : 1,
              max: typeof spec?.['maxReplicas'] === 'number' ? spec['maxReplicas'] : Number.POSITIVE_INFINITY,
            }
          : undefined;
      resources.push({
        kind: canonicalKind(apiKind),
        apiKind,
        name,
        ...(typeof meta?.['namespace'] === 'string' ? { namespace: meta['namespace'] } : {}),
        file: rel,
        ...(typeof spec?.['replicas'] === 'number' ? { replicas: spec['replicas'] } : {}),
        podLabels: Object.keys(templateLabels).length ? templateLabels : strings(meta?.['labels']),
        ...(autoscales ? { autoscales } : {}),
      });
    }
  }
  return { dir, resources, namespaces, customKinds };
}

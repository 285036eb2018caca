/**
 * A container's environment as the process sees it: literal values, plus values from Secrets
 * and ConfigMaps (`valueFrom`, `envFrom`). The drill reads e.g. the API key the orchestrator
 * checks from here, exactly as the deployment hands it to the container. Field references
 * (pod name, IP) have no single value for a workload and are left out.
 */
import type { CoreV1Api, V1Container } from '@kubernetes/client-node';

type Source = { kind: 'secret' | 'configmap'; name: string };

export class EnvResolver {
  private readonly core: CoreV1Api;
  private readonly namespace: string;
  private readonly cache = new Map<string, Promise<Record<string, string>>>();

  constructor(core: CoreV1Api, namespace: string) {
    this.core = core;
    this.namespace = namespace;
  }

  private data(src: Source): Promise<Record<string, string>> {
    const key = `${src.kind}/${src.name}`;
    let p = this.cache.get(key);
    if (!p) {
      p =
        src.kind === 'secret'
          ? this.core
              .readNamespacedSecret({ name: src.name, namespace: this.namespace })
              .then((s) =>
                Object.fromEntries(
                  Object.entries(s.data ?? {}).map(([k, v]) => [
                    k,
                    Buffer.from(v, 'base64').toString('utf8'),
                  ]),
                ),
              )
          : this.core
              .readNamespacedConfigMap({ name: src.name, namespace: this.namespace })
              .then((c) => ({ ...(c.data ?? {}) }));
      // A missing source is not cached: it may be created later in the drill.
      p.catch(() => this.cache.delete(key));
      this.cache.set(key, p);
    }
    return p.catch(() => ({}));
  }

  async resolve(container: V1Container | undefined): Promise<Record<string, string>> {
    const env: Record<string, string> = {};
    if (!container) return env;
    for (const from of container.envFrom ?? []) {
      const src: Source | undefined = from.secretRef?.name
        ? { kind: 'secret', name: from.secretRef.name }
        : from.configMapRef?.name
          ? { kind: 'configmap', name: from.configMapRef.name }
          : undefined;
      if (!src) continue;
      for (const [k, v] of Object.entries(await this.data(src))) env[`${from.prefix ?? ''}${k}`] = v;
    }
    for (const e of container.env ?? []) {
      if (e.value !== undefined) env[e.name] = e.value;
      else if (e.valueFrom?.secretKeyRef?.name) {
        const v = (await this.data({ kind: 'secret', name: e.valueFrom.secretKeyRef.name }))[
          e.valueFrom.secretKeyRef.key
        ];
        if (v !== undefined) env[e.name] = v;
      } else if (e.valueFrom?.configMapKeyRef?.name) {
        const v = (await this.data({ kind: 'configmap', name: e.valueFrom.configMapKeyRef.name }))[
          e.valueFrom.configMapKeyRef.key
        ];
        if (v !== undefined) env[e.name] = v;
      } else if (!e.valueFrom) env[e.name] = '';
    }
    return env;
  }
}

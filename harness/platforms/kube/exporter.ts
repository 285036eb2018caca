/**
 * A kube-state-metrics-style exporter fed by the platform's own status verb: restart counts per
 * pod and available replicas per deployment, on 127.0.0.1. The local platform exposes these
 * itself; on kube (no kube-state-metrics image can be pulled here) a Prometheus on the harness
 * host scrapes this instead, so OrchestratorCrashLooping has data on both platforms.
 */
import { Gauge, Registry } from 'prom-client';
import { errorMessage } from '../../core/errors.ts';
import { type Logger, silentLogger } from '../../core/log.ts';
import { type MetricsServer, startMetricsServer } from '../../detection/metrics-server.ts';
import type { RunningStack } from '../types.ts';

export interface PlatformExporterOptions {
  readonly stack: Pick<RunningStack, 'namespace' | 'workloads' | 'status'>;
  /** Bound on one status round; a scrape must not hang on a slow API server. */
  readonly statusTimeoutMs?: number;
  readonly log?: Logger;
}

const bounded = <T>(p: Promise<T>, ms: number): Promise<T> =>
  Promise.race([
    p,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms).unref(),
    ),
  ]);

/** Serve the platform's workload status as Prometheus metrics; scrape it as job `platform`. */
export async function startPlatformExporter(opts: PlatformExporterOptions): Promise<MetricsServer> {
  const { stack } = opts;
  const log = opts.log ?? silentLogger;
  const timeoutMs = opts.statusTimeoutMs ?? 2_000;
  const registry = new Registry();
  const restarts = new Gauge({
    name: 'kube_pod_container_status_restarts_total',
    help: 'Container restarts per pod, from the platform status verb.',
    labelNames: ['namespace', 'pod', 'container'] as const,
    registers: [registry],
  });
  const available = new Gauge({
    name: 'kube_deployment_status_replicas_available',
    help: 'Ready replicas per workload, from the platform status verb.',
    labelNames: ['namespace', 'deployment'] as const,
    registers: [registry],
  });
  // One status round per scrape, shared by both metrics; pods that are gone disappear.
  const refresh = async () => {
    const settled = await Promise.allSettled(
      stack.workloads().map((w) => bounded(stack.status(w), timeoutMs)),
    );
    restarts.reset();
    available.reset();
    for (const r of settled) {
      if (r.status === 'rejected') {
        log.debug('platform exporter: status failed', { error: errorMessage(r.reason) });
        continue;
      }
      const w = r.value;
      available.set({ namespace: stack.namespace, deployment: w.name }, w.readyReplicas);
      for (const pod of w.pods) {
        restarts.set({ namespace: stack.namespace, pod: pod.name, container: w.name }, pod.restarts);
      }
    }
  };
  return startMetricsServer(registry, { beforeScrape: refresh });
}

/**
 * kube-state-metrics for the local stack: the same series names and labels, so the alert
 * rules written for Kubernetes (crash loops by restart count, unavailable deployments) fire
 * on local too. Served on loopback for Prometheus or the built-in probes to scrape.
 */
import { createServer, type Server } from 'node:http';
import { listenOnLoopback } from '../../core/listen.ts';
import type { WorkloadStatus } from '../types.ts';

const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labels = (l: Record<string, string>): string =>
  `{${Object.entries(l)
    .map(([k, v]) => `${k}="${esc(v)}"`)
    .join(',')}}`;

/** Exposition text for the given workloads (Prometheus text format 0.0.4). */
export function renderKubeStateMetrics(namespace: string, workloads: readonly WorkloadStatus[]): string {
  const families: Record<string, { help: string; type: string; lines: string[] }> = {};
  const add = (name: string, help: string, type: string, l: Record<string, string>, value: number) => {
    families[name] ??= { help, type, lines: [] };
    families[name].lines.push(`${name}${labels(l)} ${value}`);
  };
  for (const w of workloads) {
    const d = { namespace, deployment: w.name };
    add('kube_deployment_spec_replicas', 'Desired pods of a deployment.', 'gauge', d, w.desiredReplicas);
    add('kube_deployment_status_replicas', 'Pods of a deployment.', 'gauge', d, w.pods.length);
    add(
      'kube_deployment_status_replicas_available',
      'Ready pods of a deployment.',
      'gauge',
      d,
      w.readyReplicas,
    );
    add(
      'kube_deployment_status_replicas_unavailable',
      'Pods not ready.',
      'gauge',
      d,
      w.desiredReplicas - w.readyReplicas,
    );
    for (const p of w.pods) {
      const c = { namespace, pod: p.name, container: w.name };
      add('kube_pod_container_status_restarts_total', 'Container restarts.', 'counter', c, p.restarts);
      add(
        'kube_pod_container_status_ready',
        'Whether the container passes its readiness probe.',
        'gauge',
        c,
        p.ready ? 1 : 0,
      );
      add(
        'kube_pod_status_ready',
        'Whether the pod is ready.',
        'gauge',
        { namespace, pod: p.name, condition: 'true' },
        p.ready ? 1 : 0,
      );
      for (const reason of ['CrashLoopBackOff', 'ContainerCreating']) {
        // An unschedulable pod has no container yet, so no waiting reason either.
        const waiting =
          reason === 'CrashLoopBackOff'
            ? p.state === 'CrashLoopBackOff'
            : p.state === 'Pending' && !p.message;
        add(
          'kube_pod_container_status_waiting_reason',
          'Why the container is waiting.',
          'gauge',
          { ...c, reason },
          waiting ? 1 : 0,
        );
      }
      add(
        'kube_pod_status_unschedulable',
        'Whether the scheduler found no node for the pod.',
        'gauge',
        { namespace, pod: p.name },
        p.message ? 1 : 0,
      );
      if (p.lastTermination) {
        add(
          'kube_pod_container_status_last_terminated_reason',
          'Why the container last terminated.',
          'gauge',
          { ...c, reason: p.lastTermination.reason },
          1,
        );
        if (p.lastTermination.exitCode !== undefined) {
          add(
            'kube_pod_container_status_last_terminated_exitcode',
            'Exit code of the last termination.',
            'gauge',
            c,
            p.lastTermination.exitCode,
          );
        }
      }
    }
  }
  return Object.entries(families)
    .map(([name, f]) => [`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`, ...f.lines].join('\n'))
    .join('\n')
    .concat('\n');
}

export class MetricsExporter {
  private readonly server: Server;
  private port?: number;
  constructor(namespace: string, snapshot: () => Promise<readonly WorkloadStatus[]>) {
    this.server = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end('try /metrics\n');
        return;
      }
      snapshot().then(
        (w) =>
          res
            .writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
            .end(renderKubeStateMetrics(namespace, w)),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    });
  }

  async listen(): Promise<string> {
    this.port = await listenOnLoopback(this.server);
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

import { describe, expect, it } from 'vitest';
import type { WorkloadStatus } from '../types.ts';
import { startPlatformExporter } from './exporter.ts';

const workload = (name: string, restarts: number[], ready: number): WorkloadStatus => ({
  name,
  desiredReplicas: restarts.length,
  readyReplicas: ready,
  state: 'Running',
  restarts: restarts.reduce((a, b) => a + b, 0),
  pods: restarts.map((r, i) => ({ name: `${name}-${i}`, ready: true, state: 'Running', restarts: r })),
  env: {},
  resources: {},
});

describe('platform exporter', () => {
  it('serves restart counts and available replicas from the status verb, fresh on every scrape', async () => {
    const status: Record<string, WorkloadStatus> = {
      'agent-agency-orchestrator': workload('agent-agency-orchestrator', [0, 1], 2),
      'agent-agency-council': workload('agent-agency-council', [0], 1),
    };
    const exporter = await startPlatformExporter({
      stack: {
        namespace: 'agent-agency',
        workloads: () => Object.keys(status),
        status: async (w) => {
          const s = status[w];
          if (!s) throw new Error(`unknown workload ${w}`);
          return s;
        },
      },
    });
    try {
      const first = await (await fetch(exporter.url)).text();
      expect(first).toContain(
        'kube_pod_container_status_restarts_total{namespace="agent-agency",pod="agent-agency-orchestrator-1",container="agent-agency-orchestrator"} 1',
      );
      expect(first).toContain(
        'kube_deployment_status_replicas_available{namespace="agent-agency",deployment="agent-agency-council"} 1',
      );
      status['agent-agency-orchestrator'] = workload('agent-agency-orchestrator', [3], 0);
      const second = await (await fetch(exporter.url)).text();
      expect(second).toContain('pod="agent-agency-orchestrator-0",container="agent-agency-orchestrator"} 3');
      expect(second).not.toContain('agent-agency-orchestrator-1'); // the replaced pod is gone
      expect(second).toContain('deployment="agent-agency-orchestrator"} 0');
    } finally {
      await exporter.close();
    }
  });
});

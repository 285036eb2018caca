/**
 * A CPU/memory stressor inside a workload's pods, as an ephemeral container (what
 * `kubectl debug` adds): it runs in the pod, under the pod's cgroup limits, so it competes with
 * the service for exactly the CPU and memory the pod was given. It uses the workload's own
 * image (bash busy loops for CPU, Node for memory when the image has it) and ends by itself
 * after the drill's duration (`timeout`), so it is bounded even if the harness dies;
 * stop() ends it early. Ephemeral containers cannot be removed: a finished one stays in the
 * pod's status until the pod is replaced.
 */
import { randomBytes } from 'node:crypto';
import { PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import type { Clock } from '../../core/clock.ts';
import type { StressSpec } from '../types.ts';
import type { KubeApi } from './api.ts';
import { type KubectlTarget, runKubectl } from './kubectl.ts';

export function stressScript(spec: StressSpec): string {
  const seconds = Math.max(1, Math.ceil(spec.durationMs / 1000));
  const cpu = Math.max(0, spec.cpuWorkers ?? 1);
  const parts = [`for i in $(seq 1 ${cpu}); do (while :; do :; done) & done`];
  if (spec.memoryMb) {
    const mb = Math.floor(spec.memoryMb);
    // Hold the memory (touched, so it is resident) until killed.
    parts.push(
      `(command -v node >/dev/null && node -e 'const b=Buffer.alloc(${mb}*1048576,1);setInterval(()=>b[0]++,1000)') &`,
    );
  }
  parts.push('wait');
  return `exec timeout ${seconds} bash -c '${parts.join('; ').replace(/'/g, `'"'"'`)}'`;
}

export async function startPodStressors(opts: {
  api: KubeApi;
  target: KubectlTarget;
  pods: readonly V1Pod[];
  spec: StressSpec;
  clock: Clock;
  /** The pod as the watch sees it now (to wait for the stressor to run). */
  current: (pod: string) => V1Pod | undefined;
}): Promise<{ stop(): Promise<void> }> {
  const name = `firedrill-stress-${randomBytes(3).toString('hex')}`;
  const started: string[] = [];
  for (const pod of opts.pods) {
    const app = pod.spec?.containers[0];
    if (!app?.image) continue;
    await opts.api.core.patchNamespacedPodEphemeralcontainers(
      {
        name: pod.metadata!.name!,
        namespace: opts.api.namespace,
        body: {
          spec: {
            ephemeralContainers: [
              {
                name,
                image: app.image,
                imagePullPolicy: app.imagePullPolicy ?? 'IfNotPresent',
                command: ['bash', '-c', stressScript(opts.spec)],
              },
            ],
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    started.push(pod.metadata!.name!);
  }
  if (started.length === 0) throw new Error('no running pods to stress');
  // Running, or already finished (a very short duration): either way the stress happened.
  const deadline = opts.clock.now().monoMs + 60_000;
  const state = (pod: string) =>
    opts.current(pod)?.status?.ephemeralContainerStatuses?.find((s) => s.name === name)?.state;
  while (!started.every((p) => state(p)?.running || state(p)?.terminated)) {
    if (opts.clock.now().monoMs > deadline) throw new Error(`stressor ${name} did not start within 60 s`);
    await opts.clock.sleep(250);
  }
  return {
    stop: async () => {
      await Promise.all(
        started.map((pod) =>
          state(pod)?.running
            ? // Its own PID namespace (no target container): this kills the stressor, not the service.
              runKubectl(opts.target, ['exec', pod, '-c', name, '--', 'bash', '-c', 'kill -KILL -1'], {
                timeoutMs: 15_000,
              })
            : undefined,
        ),
      );
    },
  };
}

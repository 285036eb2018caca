/** kubectl's STATUS column from pod objects, without a cluster. */
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  lastTermination,
  podReady,
  podState,
  selectorMatches,
  toPodStatus,
  workloadState,
} from './pod-state.ts';

const pod = (status: Partial<V1ContainerStatus>, extra: Partial<V1Pod> = {}): V1Pod => ({
  metadata: { name: 'p', ...(extra.metadata ?? {}) },
  status: {
    phase: 'Running',
    conditions: [{ type: 'Ready', status: status.ready ? 'True' : 'False' }],
    containerStatuses: [{ name: 'c', image: 'i', imageID: '', ready: false, restartCount: 0, ...status }],
    ...(extra.status ?? {}),
  },
});

describe('pod state as kubectl shows it', () => {
  it('reads CrashLoopBackOff from the waiting reason, OOMKilled from the termination', () => {
    const crash = pod({
      restartCount: 3,
      state: { waiting: { reason: 'CrashLoopBackOff' } },
      lastState: {
        terminated: { exitCode: 1, reason: 'Error', finishedAt: new Date('2026-01-01T00:00:05Z') },
      },
    });
    expect(toPodStatus(crash)).toEqual({
      name: 'p',
      ready: false,
      state: 'CrashLoopBackOff',
      restarts: 3,
      lastTermination: { reason: 'Error', exitCode: 1, atWallMs: Date.parse('2026-01-01T00:00:05Z') },
    });
    expect(podState(pod({ state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }))).toBe(
      'OOMKilled',
    );
    // The watch's own timestamp wins over the API's one-second finishedAt.
    expect(lastTermination(crash, 1234)?.atWallMs).toBe(1234);
  });

  it('treats image and config errors as Error, a deleting pod as Terminating, init containers as Pending', () => {
    expect(podState(pod({ state: { waiting: { reason: 'ErrImageNeverPull' } } }))).toBe('Error');
    expect(
      podState(pod({ state: { running: {} } }, { metadata: { name: 'p', deletionTimestamp: new Date() } })),
    ).toBe('Terminating');
    const initializing = pod(
      { state: { waiting: { reason: 'PodInitializing' } } },
      {
        status: {
          initContainerStatuses: [
            { name: 'i', image: 'i', imageID: '', ready: false, restartCount: 0, state: { running: {} } },
          ],
        },
      },
    );
    expect(podState(initializing)).toBe('Pending');
    expect(podReady(pod({ ready: true, state: { running: {} } }))).toBe(true);
  });

  it('takes the worst pod state for the workload, and ScaledToZero only when nothing is left', () => {
    const running = toPodStatus(pod({ ready: true, state: { running: {} } }));
    const crashing = toPodStatus(pod({ state: { waiting: { reason: 'CrashLoopBackOff' } } }));
    expect(workloadState(3, [running, crashing, running])).toBe('CrashLoopBackOff');
    expect(workloadState(0, [])).toBe('ScaledToZero');
    expect(workloadState(1, [])).toBe('Pending');
  });

  it('matches label selectors like the API server', () => {
    const labels = { app: 'agent-agency-orchestrator', tier: 'api' };
    expect(selectorMatches({ matchLabels: { app: 'agent-agency-orchestrator' } }, labels)).toBe(true);
    expect(
      selectorMatches(
        { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['agent-agency-orchestrator'] }] },
        labels,
      ),
    ).toBe(false);
    expect(
      selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['api', 'db'] }] }, labels),
    ).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, labels)).toBe(false);
    expect(selectorMatches({}, labels)).toBe(true);
  });
});

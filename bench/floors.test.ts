import { describe, expect, it } from 'vitest';
import type { AlertTiming, ProfileTiming } from '../harness/detection/alert-source.ts';
import type { AlertName } from '../harness/detection/types.ts';
import { scenarioSchema } from '../harness/scenario/schema.ts';
import {
  detectionFloor,
  LLM_CLIENT_WORKLOAD,
  type PlatformFloors,
  passWindowMs,
  recoveryWorkload,
  scenarioFloors,
} from './floors.ts';

const alert = (forMs: number): AlertTiming => ({ forMs, params: {} });
const timing: ProfileTiming = {
  profile: 'fast',
  scrapeIntervalMs: 1000,
  evaluationIntervalMs: 1500,
  alerts: {
    APIHealthCheckFailure: alert(2000),
    APIErrorRateHigh: alert(5000),
    APIResponseTimeDegraded: alert(5000),
    OrchestratorCrashLooping: alert(2000),
    DatabaseUnreachable: alert(3000),
    RedisUnreachable: alert(3000),
    LLMRateLimited: alert(5000),
  } satisfies Record<AlertName, AlertTiming>,
};

const platform: PlatformFloors = {
  platform: 'local',
  processStartMs: 40,
  stackUpMs: 4000,
  stackDownMs: 600,
  prometheusStartMs: 1500,
  restart: {
    'agent-agency-postgres': { firstReadyMs: 700, rolledOutMs: 700 },
    'agent-agency-orchestrator': { firstReadyMs: 500, rolledOutMs: 1600 },
  },
};

const scenario = (input: Record<string, unknown>) =>
  scenarioSchema.parse({
    name: 'x',
    title: 'x',
    severity: 'high',
    runbook: { section: 'x' },
    detection: { alerts: ['DatabaseUnreachable', 'APIHealthCheckFailure'] },
    ...input,
  });

describe('detectionFloor', () => {
  it('Prometheus: for as the minimum, plus scrape and evaluation interval as the worst alignment', () => {
    const f = detectionFloor(['DatabaseUnreachable'], timing, 'prometheus');
    expect(f).toMatchObject({ alert: 'DatabaseUnreachable', minMs: 3000, maxMs: 3000 + 1000 + 1500 });
  });

  it('probes evaluate in the round that probes: no evaluation interval', () => {
    const f = detectionFloor(['DatabaseUnreachable'], timing, 'probes');
    expect(f).toMatchObject({ source: 'probes', minMs: 3000, maxMs: 4000, evaluationMs: 0 });
  });

  it('takes the fastest of the expected alerts and ignores names without timing', () => {
    const f = detectionFloor(
      ['LLMRateLimited', 'NoSuchAlert', 'APIHealthCheckFailure'],
      timing,
      'prometheus',
    );
    expect(f.alert).toBe('APIHealthCheckFailure');
    expect(f.minMs).toBe(2000);
  });

  it('fails when none of the alerts has timing', () => {
    expect(() => detectionFloor(['NoSuchAlert'], timing, 'prometheus')).toThrow(/NoSuchAlert/);
  });
});

describe('recoveryWorkload', () => {
  it('is the faulted workload, the denied source, or the LLM client', () => {
    expect(recoveryWorkload({ kind: 'dependency-down', workload: 'pg', mode: 'kill' })).toBe('pg');
    expect(recoveryWorkload({ kind: 'network-deny', from: 'api', to: ['pg'] })).toBe('api');
    expect(
      recoveryWorkload({ kind: 'llm-rate-limit', requestsPerSecond: 1, burst: 1, retryAfterSeconds: 1 }),
    ).toBe(LLM_CLIENT_WORKLOAD);
    expect(recoveryWorkload({ kind: 'none' })).toBeUndefined();
  });
});

describe('scenario floors', () => {
  it('N passes need N-1 intervals between them', () => {
    const v = scenario({ fault: { kind: 'none' } }).verification;
    expect(passWindowMs({ ...v, consecutivePasses: 3, intervalMs: 1000 })).toBe(2000);
    expect(passWindowMs({ ...v, consecutivePasses: 1, intervalMs: 1000 })).toBe(0);
  });

  it('adds up wall, MTTR and MTTD floors from their terms', () => {
    const s = scenario({
      fault: { kind: 'dependency-down', workload: 'agent-agency-postgres' },
      verification: { consecutivePasses: 3, intervalMs: 1000 },
    });
    const f = scenarioFloors(s, 'prometheus', timing, platform);
    expect(f.detection.alert).toBe('APIHealthCheckFailure');
    expect(f.restartWorkload).toBe('agent-agency-postgres');
    expect(f.mttrMs).toBe(2000 + 700);
    // 40 + 4000 (stack up) + 2000 (steady; Prometheus' 1500 start overlaps both) + 2000 (for) +
    // 700 (restart) + 2000 (recovery window) + 600
    expect(f.wallMs).toBe(11_340);
    expect(scenarioFloors(s, 'probes', timing, platform).wallMs).toBe(11_340);
    // a Prometheus slower to start than stack up and steady state adds what goes beyond them
    const slowProm = scenarioFloors(s, 'prometheus', timing, { ...platform, prometheusStartMs: 6500 });
    expect(slowProm.wallTerms.detectionStartMs).toBe(500);
    expect(slowProm.wallMs).toBe(11_340 + 500);
  });

  it('uses the first ready instance, not the whole rollout, for the restart', () => {
    const s = scenario({ fault: { kind: 'network-deny', from: 'agent-agency-orchestrator', to: ['x'] } });
    expect(scenarioFloors(s, 'probes', timing, platform).restartMs).toBe(500);
  });

  it('has no MTTR floor when the workload restart was not measured', () => {
    const s = scenario({ fault: { kind: 'dependency-down', workload: 'agent-agency-redis' } });
    const f = scenarioFloors(s, 'prometheus', timing, platform);
    expect(f.mttrMs).toBeNull();
    expect(f.wallTerms.restartMs).toBe(0);
  });
});

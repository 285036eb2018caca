/**
 * Physical floors: how fast a drill could possibly be, so each measured figure is read against
 * what the machine and the protocol allow rather than in a vacuum.
 *   MTTD floor: the fastest expected alert's `for` (no source can say firing sooner), up to
 *     `for` + scrape (probe) interval + evaluation interval when the condition lands just after
 *     a scrape and an evaluation (issue 7's "scrape + evaluation + for").
 *   MTTR floor: the MTTD floor (remediation starts after detection) + the time the platform
 *     needs to bring the first new instance of the remediated workload to ready.
 *   Wall floor: process start + the longer of stack up + steady state ((N-1) intervals between
 *     N passes) and Prometheus start (when it detects; it starts with the stack, and the rounds
 *     run while it comes up) + MTTD floor + restart + the recovery window ((N-1) intervals) +
 *     stack down.
 */
import type { ProfileTiming } from '../harness/detection/alert-source.ts';
import type { AlertName } from '../harness/detection/types.ts';
import type { Fault, Scenario } from '../harness/scenario/schema.ts';

export interface DetectionFloor {
  readonly alert: string;
  readonly source: 'prometheus' | 'probes';
  readonly minMs: number;
  readonly maxMs: number;
  readonly scrapeMs: number;
  /** 0 for probes: they evaluate in the round that probes. */
  readonly evaluationMs: number;
  readonly forMs: number;
}

/** The floor of the fastest of `alerts` (any one of them counts as detected). */
export function detectionFloor(
  alerts: readonly string[],
  timing: ProfileTiming,
  source: string,
): DetectionFloor {
  const kind = source === 'probes' ? 'probes' : 'prometheus';
  const evaluationMs = kind === 'probes' ? 0 : timing.evaluationIntervalMs;
  let best: DetectionFloor | undefined;
  for (const alert of alerts) {
    const t = timing.alerts[alert as AlertName];
    if (!t) continue;
    const floor: DetectionFloor = {
      alert,
      source: kind,
      minMs: t.forMs,
      maxMs: t.forMs + timing.scrapeIntervalMs + evaluationMs,
      scrapeMs: timing.scrapeIntervalMs,
      evaluationMs,
      forMs: t.forMs,
    };
    if (!best || floor.minMs < best.minMs || (floor.minMs === best.minMs && floor.maxMs < best.maxMs))
      best = floor;
  }
  if (!best)
    throw new Error(`no timing for any of the alerts ${alerts.join(', ')} in profile ${timing.profile}`);
  return best;
}

/**
 * The workload whose restart ends the outage. The LLM vendor's limit is not ours to restart:
 * the runbook reconfigures the client (the council), and its rollout is what recovery waits on.
 */
export const LLM_CLIENT_WORKLOAD = 'agent-agency-council';

export function recoveryWorkload(fault: Fault): string | undefined {
  switch (fault.kind) {
    case 'none':
      return undefined;
    case 'network-deny':
      return fault.from;
    case 'llm-rate-limit':
      return LLM_CLIENT_WORKLOAD;
    default:
      return fault.workload;
  }
}

export interface RestartFloor {
  /** rollout restart until the first new instance is ready (service can answer again). */
  readonly firstReadyMs: number;
  /** rollout restart until every instance is new and ready. */
  readonly rolledOutMs: number;
}

/** Measured once per platform by bench/platform-floors.ts. */
export interface PlatformFloors {
  readonly platform: 'local' | 'kube';
  /** A bare node process from spawn to listening on a socket. */
  readonly processStartMs: number;
  readonly stackUpMs: number;
  readonly stackDownMs: number;
  /** Spawn to evaluating rules, measured alone; null when not installed or drills use probes. */
  readonly prometheusStartMs: number | null;
  /** Per workload, best of the repeats. */
  readonly restart: Readonly<Record<string, RestartFloor>>;
}

export interface WallFloorTerms {
  readonly processStartMs: number;
  readonly stackUpMs: number;
  /** What Prometheus' start adds beyond stack up and steady state (they overlap); 0 with probes. */
  readonly detectionStartMs: number;
  readonly steadyStateMs: number;
  readonly detectionMs: number;
  readonly restartMs: number;
  readonly recoveryWindowMs: number;
  readonly stackDownMs: number;
}

export interface ScenarioFloors {
  readonly detection: DetectionFloor;
  readonly restartWorkload?: string;
  /** null when the restart of that workload could not be measured. */
  readonly restartMs: number | null;
  readonly mttrMs: number | null;
  readonly wallMs: number;
  readonly wallTerms: WallFloorTerms;
}

/** (N-1) intervals separate N consecutive passing rounds. */
export const passWindowMs = (v: Scenario['verification']): number =>
  Math.max(0, v.consecutivePasses - 1) * v.intervalMs;

export function scenarioFloors(
  scenario: Pick<Scenario, 'fault' | 'detection' | 'verification'>,
  detectionSource: string,
  timing: ProfileTiming,
  platform: PlatformFloors,
): ScenarioFloors {
  const detection = detectionFloor(scenario.detection.alerts, timing, detectionSource);
  const workload = recoveryWorkload(scenario.fault);
  const restartMs = workload ? (platform.restart[workload]?.firstReadyMs ?? null) : 0;
  const steadyStateMs = passWindowMs(scenario.verification);
  const wallTerms: WallFloorTerms = {
    processStartMs: platform.processStartMs,
    stackUpMs: platform.stackUpMs,
    detectionStartMs:
      detection.source === 'prometheus'
        ? Math.max(0, (platform.prometheusStartMs ?? 0) - platform.stackUpMs - steadyStateMs)
        : 0,
    steadyStateMs,
    detectionMs: detection.minMs,
    restartMs: restartMs ?? 0,
    recoveryWindowMs: passWindowMs(scenario.verification),
    stackDownMs: platform.stackDownMs,
  };
  return {
    detection,
    ...(workload ? { restartWorkload: workload } : {}),
    restartMs,
    mttrMs: restartMs === null ? null : detection.minMs + restartMs,
    wallMs: Object.values(wallTerms).reduce((a, b) => a + b, 0),
    wallTerms,
  };
}

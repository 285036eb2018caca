import type { Clock } from '../core/clock.ts';
import type { Ledger } from '../core/ledger.ts';
import type { Logger } from '../core/log.ts';
import type { Phase } from '../core/timeline.ts';
import type { ProfileTimings } from '../detection/projection.ts';
import type { DetectionProfile, DetectionSource } from '../detection/types.ts';
import type { FaultOptions } from '../faults/index.ts';
import type { RunningStack } from '../platforms/types.ts';
import type { DependencyKinds } from '../report/escalation-triggers.ts';
import type { StepResult } from '../runbook/step-result.ts';
import type { Scenario } from '../scenario/schema.ts';
import type { Verifier } from '../verify/checks.ts';
import type { RequestSample } from '../verify/load.ts';
import type { ResolvedTargets } from './targets.ts';

export interface StepHooks {
  onStart(step: { id: string; title: string; extra: boolean }): void;
  onEnd(result: StepResult): void;
  /** Postcondition after a remediation step: is the system healthy now? */
  checkHealth(signal?: AbortSignal): Promise<boolean>;
  /** Fault injected and the system not yet recovered: a diagnostic's failure may be evidence of it. */
  outageInForce?(): boolean;
}

/**
 * What the runbook contributes to a drill, already bound to the platform: its steps per
 * stage, each run with the hooks so the timeline sees every step start and end.
 */
export interface RunbookPlan {
  readonly file: string;
  readonly section: string;
  readonly sha256?: string;
  readonly hostMap: Readonly<Record<string, string>>;
  /** Read-only investigation steps, run while the incident is live. */
  investigate(hooks: StepHooks, signal: AbortSignal): Promise<StepResult[]>;
  /** The resolution section's steps. */
  remediate(hooks: StepHooks, signal: AbortSignal): Promise<StepResult[]>;
  /** The scenario's extra steps (not in the runbook); run only if the runbook's did not restore health. */
  extra(hooks: StepHooks, signal: AbortSignal): Promise<StepResult[]>;
  /**
   * Verification and post-incident steps, after recovery. `facts` are what the drill measured,
   * offered to the runbook's placeholders: SEVERITY, DURATION, IMPACT.
   */
  afterRecovery(
    hooks: StepHooks,
    signal: AbortSignal,
    facts: Readonly<Record<string, string>>,
  ): Promise<StepResult[]>;
  /** One line per step that would run, for --dry-run. */
  describe(): string[];
  /** MTTD/MTTR targets with their source (flag, the runbook's KPIs, the scenario). */
  readonly targets?: ResolvedTargets;
  readonly hasExtraSteps: boolean;
}

/** The drill's own background traffic, for customer impact and observed severity. */
export interface BackgroundLoad {
  start(): void;
  stop(): Promise<void>;
  samples(): readonly RequestSample[];
}

export type DrillMode = 'drill' | 'control' | 'counterfactual';

export interface DrillOptions {
  readonly runId: string;
  readonly scenario: Scenario;
  readonly mode: DrillMode;
  readonly stack: RunningStack;
  readonly detection: DetectionSource;
  readonly verifier: Verifier;
  readonly runbook: RunbookPlan;
  readonly load?: BackgroundLoad;
  readonly ledger: Ledger;
  readonly clock: Clock;
  readonly log: Logger;
  /**
   * Aborted on SIGINT/SIGTERM/SIGHUP (reason: the signal's name) or a harness crash outside the
   * loop (reason: an Error, recorded as the abort reason): the drill stops where it is and restores.
   */
  readonly signal: AbortSignal;
  readonly detectionPollMs?: number;
  /** Which alert windows the detection evaluates (fast drill windows or the production ones); recorded with every number. */
  readonly alertProfile?: DetectionProfile;
  /** The alert timings of that profile and of production: a fast run's MTTD/MTTR are projected to production. */
  readonly alertTimings?: ProfileTimings;
  /** How long a control run watches the unbroken system for alerts; default 30 s. */
  readonly controlWindowMs?: number;
  /** How long to wait after the runbook's steps before deciding they did not restore health. */
  readonly settleMs?: number;
  /** The config's database and external dependencies (escalation triggers that name them). */
  readonly dependencyKinds?: DependencyKinds;
  readonly limitations?: readonly string[];
  /** The target's fault options (its adapters, its namespace); default: the built-in kinds only. */
  readonly faultOptions?: FaultOptions;
  readonly onPhase?: (phase: Phase, waitingFor: string) => void;
}

import type { UndoAction } from '../core/ledger.ts';

/**
 * The platform interface: the verbs a runbook uses, on whichever world the system runs in.
 * `local` implements them on real processes, `kube` on a Kubernetes API server. Scenarios,
 * faults and runbook execution only speak these verbs, so the same drill runs on both.
 */

/** Phase of a workload as the runbook reads it (kubectl's STATUS column). */
export type WorkloadState =
  | 'Running'
  | 'Pending'
  | 'CrashLoopBackOff'
  | 'OOMKilled'
  | 'Error'
  | 'Terminating'
  | 'ScaledToZero'
  | 'Unknown';

export interface PodStatus {
  readonly name: string;
  readonly ready: boolean;
  readonly state: WorkloadState;
  readonly restarts: number;
  /** Why the last instance ended, e.g. 'OOMKilled', 'Error', exit code 137. */
  readonly lastTermination?: { reason: string; exitCode?: number; atWallMs?: number };
  /** Why a Pending pod does not run, e.g. `0/1 nodes are available: 1 Insufficient cpu.` */
  readonly message?: string;
}

export interface WorkloadStatus {
  readonly name: string;
  readonly desiredReplicas: number;
  readonly readyReplicas: number;
  /** Worst state across pods, or 'ScaledToZero'. */
  readonly state: WorkloadState;
  readonly restarts: number;
  readonly pods: readonly PodStatus[];
  readonly env: Readonly<Record<string, string>>;
  readonly resources: ResourceSpec;
}

export interface ResourceSpec {
  readonly limits?: { cpu?: string; memory?: string };
  readonly requests?: { cpu?: string; memory?: string };
}

export interface LogOptions {
  /** Logs of the previous (crashed) instance, like `kubectl logs --previous`. */
  readonly previous?: boolean;
  readonly tailLines?: number;
  readonly sinceSeconds?: number;
  /** One pod by name; default: the workload's first pod (like `kubectl logs deployment/x`). */
  readonly pod?: string;
}

/** Deny traffic from one workload to others (a NetworkPolicy on kube, the fault proxy on local). */
export interface NetworkDeny {
  readonly name: string;
  readonly from: string;
  readonly to: readonly string[];
}

/**
 * Verbs as data: what a runbook step or a scenario's extra step asks the platform to do.
 * Serialisable so it can be shown in --dry-run and stored in the run record.
 */
export type PlatformAction =
  | { verb: 'status'; workload?: string }
  | { verb: 'scale'; workload: string; replicas: number }
  | { verb: 'rollout-restart'; workload: string }
  /** Back to the previous pod template, like `kubectl rollout undo`: a bad rollout rolled back. */
  | { verb: 'rollout-undo'; workload: string }
  | { verb: 'set-env'; workload: string; env: Record<string, string | null> }
  | { verb: 'set-resources'; workload: string; resources: ResourceSpec }
  | { verb: 'delete-pod'; workload: string; pod?: string }
  | { verb: 'logs'; workload: string; options?: LogOptions }
  | { verb: 'list-network-policies' }
  | { verb: 'delete-network-policy'; name: string }
  /**
   * Delete every policy whose labels match an equality-based label selector, like `kubectl delete
   * networkpolicy -l '!app.kubernetes.io/part-of'`: policies that are not part of the app's release.
   */
  | { verb: 'delete-network-policies'; selector: string }
  | {
      verb: 'exec-check';
      workload: string;
      check: 'tcp' | 'dns' | 'env' | 'sql' | 'redis-ping' | 'ps';
      target?: string;
    };

/** The running system. Obtained from `Platform.up()`; `down()` returns the machine to as it was. */
export interface RunningStack {
  readonly platform: PlatformName;
  readonly namespace: string;
  /** Names of all workloads, in start order. */
  workloads(): readonly string[];
  status(workload: string): Promise<WorkloadStatus>;
  /** `signal`: a runbook step that timed out; where the platform can, the scale stops and reverts. */
  scale(workload: string, replicas: number, signal?: AbortSignal): Promise<void>;
  /** Rolling restart: new instances come up before old ones go, like `kubectl rollout restart`. */
  rolloutRestart(workload: string): Promise<void>;
  /** `null` removes a variable. Triggers a rollout, as on Kubernetes. */
  setEnv(workload: string, env: Record<string, string | null>): Promise<void>;
  setResources(workload: string, resources: ResourceSpec): Promise<void>;
  /** Kill one instance (SIGKILL on local, pod delete on kube); its controller replaces it. */
  deletePod(workload: string, pod?: string): Promise<void>;
  logs(workload: string, options?: LogOptions): Promise<string>;
  /**
   * Returns what the platform could not make the deny do, for the run record's limitations
   * (empty when traffic is fully cut, established connections included).
   */
  applyNetworkDeny(deny: NetworkDeny): Promise<readonly string[]>;
  removeNetworkDeny(name: string): Promise<void>;
  listNetworkDenies(): Promise<readonly string[]>;
  /** Base URL of a service as reachable from the harness host, e.g. http://127.0.0.1:31080. */
  endpoint(service: string): Promise<string>;
  /** Run an action expressed as data; returns human-readable output. */
  perform(action: PlatformAction, signal?: AbortSignal): Promise<string>;
  /**
   * The crash-safe recipe that reverts `action` without this process (for the ledger), e.g. a
   * kubectl command on kube. Undefined where the platform's own ledger entries already cover
   * it (local: the processes themselves are ledgered and die on cleanup).
   */
  undoRecipe?(action: PlatformAction, before: WorkloadStatus | undefined): UndoAction | undefined;
  down(): Promise<void>;

  // Optional capabilities some faults need; a platform without one reports the fault as unsupported.
  /** Kill every instance and keep the workload down until its next rollout restart, scale or env change. */
  halt?(workload: string): Promise<void>;
  /** How a halted workload here differs from a crashed one, for the run record (none: it does not). */
  readonly haltDiffers?: string;
  /** Run a bounded CPU/memory stressor inside the workload's resource limits. */
  startStressor?(workload: string, spec: StressSpec): Promise<{ stop(): Promise<void> }>;
  /**
   * Every workload back to the declared spec and no fault plumbing left, so another drill can
   * run on this stack (local); returns what was reset.
   */
  resetToSpec?(): Promise<string[]>;
  /** What keeps the stack from its declared spec now; [] when it is at it. */
  offSpec?(): Promise<string[]>;
  /** Metrics endpoints per scrape job (one URL per instance), for a Prometheus the harness runs. */
  scrapeTargets?(): Promise<readonly { job: string; urls: readonly string[] }[]>;
  /** Make `names` stop resolving for the workload's instances. */
  breakDns?(workload: string, names: readonly string[]): Promise<{ restore(): Promise<void> }>;
  /** Prometheus scrape URL of kube-state-metrics-style series about the stack (restarts, availability). */
  metricsEndpoint?(): Promise<string>;
  /**
   * Make the workload's next rollouts replace every instance at once, so a bad change reaches all
   * of them (as it does on local). Where a rollout strategy holds old instances back (kube with
   * maxUnavailable 0), a bad rollout would otherwise stall on one new pod with no outage.
   */
  rolloutAllAtOnce?(workload: string): Promise<{ restore(): Promise<void> }>;
}

export interface StressSpec {
  readonly cpuWorkers?: number;
  readonly memoryMb?: number;
  readonly durationMs: number;
}

export type PlatformName = 'local' | 'kube' | 'memory';

export interface PlatformUpOptions {
  /** Where the platform keeps state for this run (logs, data dirs); under the run dir. */
  readonly stateDir: string;
  readonly signal?: AbortSignal;
}

export interface Platform {
  readonly name: PlatformName;
  /** Checks that must pass before anything changes: binaries present, cluster reachable. */
  preflight(): Promise<PreflightResult>;
  up(options: PlatformUpOptions): Promise<RunningStack>;
}

export interface PreflightResult {
  readonly ok: boolean;
  /** One line per problem: what, where, what to do. */
  readonly problems: readonly string[];
  /** Capabilities that will not be available, with the reason (e.g. no cgroup access). */
  readonly limitations: readonly string[];
}

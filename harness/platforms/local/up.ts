/**
 * Bringing the local stack up: state dirs, cgroups, Postgres data, DNS files, Services and
 * links, then the workloads in dependency order (independent ones in parallel), each waited
 * for until ready. A failure takes down whatever was started and says which workload failed
 * and what its last output was.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../../core/clock.ts';
import type { Ledger, LedgerEntry } from '../../core/ledger.ts';
import type { Logger } from '../../core/log.ts';
import type { PlatformUpOptions } from '../types.ts';
import type { Binaries } from './binaries.ts';
import { type CgroupSupport, RunCgroups } from './cgroups.ts';
import { WorkloadDns } from './dns.ts';
import { MetricsExporter } from './exporter.ts';
import { readLogs } from './logs.ts';
import { StackNetwork } from './network.ts';
import { PacketDrop, packetDropHere } from './packet-drop.ts';
import type { BackoffPolicy, Pod } from './pod.ts';
import { ensureTemplate, type PostgresDirs, preparePostgresDirs } from './postgres.ts';
import { machineAllocatable, NodeScheduler } from './scheduler.ts';
import { LocalStack, type StackParts } from './stack.ts';
import { endpointRefs, type StackSpec } from './stack-file.ts';
import { makeTemplates } from './templates.ts';
import { Workload } from './workload.ts';

export interface UpSettings {
  readonly spec: StackSpec;
  readonly ledger: Ledger;
  readonly clock: Clock;
  readonly log: Logger;
  readonly bins: Binaries;
  readonly cgroups: CgroupSupport;
  /** Undefined when private /etc/hosts works; else why not (then env uses 127.0.0.1). */
  readonly dnsProblem?: string;
  readonly backoff: BackoffPolicy;
  readonly readyTimeoutMs: number;
}

export async function startLocalStack(s: UpSettings, options: PlatformUpOptions): Promise<LocalStack> {
  const { spec, ledger, clock, log } = s;
  const root = join(options.stateDir, `local-${ledger.runId}`);
  const dirEntries: LedgerEntry[] = [
    ledger.record(`local stack state ${root}`, { type: 'remove-dir', path: root }),
  ];
  mkdirSync(root, { recursive: true });
  const logDir = join(root, 'logs');
  mkdirSync(logDir, { recursive: true });
  const cgroups = new RunCgroups(s.cgroups, ledger, ledger.runId);
  const workloads = new Map<string, Workload>();
  // asked once, when a stack comes up: preflight and dry runs never touch iptables
  const drop = packetDropHere(s.bins.iptables, ledger);
  const network = new StackNetwork(
    (name) => workloads.get(name)?.readyPorts() ?? [],
    drop instanceof PacketDrop ? drop : undefined,
  );
  const dns = new Map<string, WorkloadDns>();
  const parts: StackParts = {
    spec,
    ledger,
    clock,
    log,
    bins: s.bins,
    workloads,
    network,
    packetDropProblem: drop instanceof PacketDrop ? undefined : drop.problem,
    dns,
    cgroups,
    logDir,
    dirEntries,
    declaredEnv: () => ({}),
    serviceUrl: () => '',
  };
  const stack = new LocalStack(parts);
  try {
    cgroups.create();
    const pgDirs = new Map<string, PostgresDirs>();
    for (const w of spec.workloads) {
      if (w.kind !== 'postgres') continue;
      const template = ensureTemplate(
        { postgres: s.bins.postgres!, initdb: s.bins.initdb!, setpriv: s.bins.setpriv },
        w.user,
        w.database,
        log,
      );
      const dirs = preparePostgresDirs(template, join(root, w.name), ledger);
      if (dirs.ownEntry) dirEntries.push(dirs.ownEntry);
      pgDirs.set(w.name, dirs);
    }
    const names = spec.workloads.map((w) => w.name);
    for (const w of spec.workloads) {
      await network.service(w.name);
      for (const to of endpointRefs(w)) await network.link(w.name, to);
      if (w.kind === 'process' && !s.dnsProblem)
        dns.set(w.name, new WorkloadDns(join(root, 'dns', w.name), names, spec.namespace));
    }
    const templates = makeTemplates({
      spec,
      bins: s.bins,
      network,
      dns,
      pgDirs,
      runId: ledger.runId,
      useHostnames: !s.dnsProblem,
    });
    Object.assign(parts, { declaredEnv: templates.declaredEnv, serviceUrl: templates.serviceUrl });
    const ctx = {
      ledger,
      clock,
      log,
      tools: s.bins,
      cgroups,
      logDir,
      backoff: s.backoff,
      template: templates.template,
      node: new NodeScheduler(spec.allocatable ?? machineAllocatable()),
    };
    for (const w of spec.workloads) workloads.set(w.name, new Workload(w, ctx));
    parts.exporter = new MetricsExporter(spec.namespace, () => stack.statusAll());
    await parts.exporter.listen();

    const started = new Map<string, Promise<void>>();
    const bringUp = async (name: string): Promise<void> => {
      const w = workloads.get(name)!;
      await Promise.all(w.spec.dependsOn.map((d) => started.get(d)));
      await w.start();
      await waitReady(w, s.readyTimeoutMs, clock, options.signal);
      log.debug(`${name} ready`);
    };
    for (const w of spec.workloads) started.set(w.name, bringUp(w.name));
    // Settle all before judging, so a failure does not leave a sibling starting unobserved.
    const results = await Promise.allSettled(started.values());
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    for (const w of workloads.values()) for (const warning of w.warnings) log.warn(warning);
    return stack;
  } catch (err) {
    await stack.down().catch((e: unknown) => log.warn(`cleanup after a failed start: ${String(e)}`));
    throw err;
  }
}

const probeNote = (pod: Pod | undefined): string =>
  pod?.lastProbeFailure ? ` (pod ${pod.name}, port ${pod.port}: ${pod.lastProbeFailure})` : '';

/** Until every desired pod is ready; a pod crash-looping at start fails fast, with its output. */
async function waitReady(w: Workload, timeoutMs: number, clock: Clock, signal?: AbortSignal): Promise<void> {
  const start = clock.now().monoMs;
  for (;;) {
    if (signal?.aborted) throw new Error(`start of ${w.name} aborted`);
    const ready = w.readyPorts().length;
    if (ready >= w.spec.replicas) return;
    // Nothing frees capacity while the stack comes up: a Pending pod would wait forever.
    const unschedulable = w.pods.find((p) => !p.bound && p.unschedulable);
    if (unschedulable) {
      throw new Error(
        `${w.name} did not become ready: pod ${unschedulable.name} is Pending: ${unschedulable.unschedulable} ` +
          'Lower its requests, or declare node.allocatable in the stack file',
      );
    }
    const crashing = w.pods.find((p) => p.restarts >= 2);
    const elapsed = clock.now().monoMs - start;
    if (crashing || elapsed > timeoutMs) {
      const pod = crashing ?? w.pods.find((p) => !p.ready);
      const why = crashing
        ? `pod ${crashing.name} keeps exiting (${crashing.lastTermination?.reason} exit ${crashing.lastTermination?.exitCode})`
        : `${ready}/${w.spec.replicas} pods ready after ${timeoutMs} ms${probeNote(pod)}`;
      let tail = '';
      if (pod) {
        try {
          tail = readLogs(w, { pod: pod.name, tailLines: 5, previous: pod.runs > 1 }, clock).trim();
        } catch {}
      }
      throw new Error(`${w.name} did not become ready: ${why}${tail ? `; last output:\n${tail}` : ''}`);
    }
    await clock.sleep(50);
  }
}

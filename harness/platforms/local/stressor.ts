/**
 * CPU and memory pressure inside a workload's limits: one stress-ng per running pod, placed in
 * that pod's cgroups, so its memory counts against the pod's limit and its CPU competes with
 * the service under the same quota. Bounded twice: stress-ng's own --timeout and a harness
 * timer; ledgered like every process.
 */
import { join } from 'node:path';
import type { Clock } from '../../core/clock.ts';
import type { Ledger } from '../../core/ledger.ts';
import type { StressSpec } from '../types.ts';
import { type Launched, launch, signalGroup, type Tools, waitGroupGone } from './launcher.ts';
import type { Pod } from './pod.ts';

export function stressArgv(stressNg: string, spec: StressSpec): string[] {
  const argv = [
    stressNg,
    '--timeout',
    `${Math.max(1, Math.ceil(spec.durationMs / 1000))}s`,
    '--metrics-brief',
  ];
  if (spec.cpuWorkers) argv.push('--cpu', String(spec.cpuWorkers));
  if (spec.memoryMb) argv.push('--vm', '1', '--vm-bytes', `${spec.memoryMb}M`, '--vm-keep');
  return argv;
}

export async function startStressor(
  pods: readonly Pod[],
  spec: StressSpec,
  env: { stressNg: string; tools: Tools; ledger: Ledger; clock: Clock; logDir: string },
): Promise<{ stop(): Promise<void> }> {
  if (!spec.cpuWorkers && !spec.memoryMb) throw new Error('a stressor needs cpuWorkers or memoryMb');
  const running: Launched[] = pods.map((pod, i) =>
    launch(
      {
        what: `stress-ng in ${pod.name}`,
        argv: stressArgv(env.stressNg, spec),
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', FIREDRILL_RUN: env.ledger.runId },
        cwd: env.logDir,
        logFile: join(env.logDir, `stress-${pod.name}-${i}.log`),
        cgroupProcs: pod.cgroupProcs(),
      },
      env.tools,
      env.ledger,
      env.clock,
    ),
  );
  const stopAll = async () => {
    for (const l of running) signalGroup(l.pid, 'SIGKILL');
    await Promise.all(running.map((l) => l.exited));
    await Promise.all(running.map((l) => waitGroupGone(l.pid)));
    for (const l of running) env.ledger.settle(l.entry.id);
  };
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    clearTimeout(guard);
    stopped ??= stopAll();
    return stopped;
  };
  // stress-ng stops itself at --timeout; this guard covers a stress-ng that does not.
  const guard = setTimeout(() => void stop(), spec.durationMs + 2000);
  guard.unref();
  return { stop };
}

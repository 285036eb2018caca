/**
 * `kubectl logs` for local pods: each container run has its own file of timestamped lines,
 * so `previous` reads the run before the current one, as the kubelet keeps it.
 */
import { readFileSync } from 'node:fs';
import type { Clock } from '../../core/clock.ts';
import type { LogOptions } from '../types.ts';
import type { Pod } from './pod.ts';
import type { Workload } from './workload.ts';

const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (.*)$/;

export function readLogs(workload: Workload, options: LogOptions, clock: Clock): string {
  const pod = pickPod(workload, options);
  const run = options.previous ? pod.runs - 1 : pod.runs;
  if (run < 1) {
    throw new Error(
      options.previous
        ? `previous terminated container not found for pod ${pod.name} (it has not restarted)`
        : `pod ${pod.name} has not started a container yet`,
    );
  }
  let text: string;
  try {
    text = readFileSync(pod.logFile(run), 'utf8');
  } catch {
    text = '';
  }
  const since =
    options.sinceSeconds === undefined ? undefined : clock.now().wallMs - options.sinceSeconds * 1000;
  let lines = text
    .split('\n')
    .filter(Boolean)
    .map((l) => STAMP.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .filter((m) => since === undefined || Date.parse(m[1]!) >= since)
    .map((m) => m[2]!);
  if (options.tailLines !== undefined) lines = lines.slice(-options.tailLines);
  return lines.length ? lines.join('\n') + '\n' : '';
}

/** The named pod; for `previous`, the pod that crashed most recently; else the first. */
function pickPod(workload: Workload, options: LogOptions): Pod {
  if (options.pod) {
    const pod = workload.pods.find((p) => p.name === options.pod);
    if (!pod) throw new Error(`no pod ${options.pod} in ${workload.name}`);
    return pod;
  }
  const pods = workload.pods;
  if (pods.length === 0) throw new Error(`${workload.name} has no pods`);
  if (options.previous) {
    const crashed = pods
      .filter((p) => p.runs > 1)
      .sort((a, b) => (b.lastTermination?.atWallMs ?? 0) - (a.lastTermination?.atWallMs ?? 0));
    if (crashed[0]) return crashed[0];
  }
  return pods[0]!;
}

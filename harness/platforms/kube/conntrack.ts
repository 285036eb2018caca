/**
 * Network policy plugins (kube-router, kindnet, Calico's iptables mode) only judge NEW
 * connections: a pooled database connection opened before a deny keeps working, so a
 * "partition" would leave the service healthy. A real partition drops every packet, so after a
 * deny is in force its flows' conntrack entries are deleted on the source pods' nodes; the next
 * packet of each flow is judged again and dropped. Nothing to undo: allowed flows are
 * re-established as new connections.
 *
 * The plugin programs a new policy some time after the API has it (kube-router: ~0.1 s idle,
 * longer under load). A flow cut before that is judged by the old rules, re-established, and
 * then outlives the policy: the "partition" heals itself (seen once in CI as a drill that
 * recovered in 5 s with no remediation). So the cut is repeated until no established flow
 * between the pairs is left, which is also the proof that the partition holds.
 *
 * A node is reached where it is this machine (the self-built cluster: the pod's hostIP is one
 * of our addresses) or a kind node container (`docker exec <node>`); elsewhere the cut is
 * skipped and said so.
 */
import { spawnSync } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import type { V1Pod } from '@kubernetes/client-node';
import { systemClock } from '../../core/clock.ts';

const localAddresses = (): Set<string> =>
  new Set(
    Object.values(networkInterfaces())
      .flat()
      .map((i) => i?.address ?? '')
      .filter(Boolean),
  );

type Runner = (argv: readonly string[]) => { ok: boolean; missing: boolean; stdout: string };

function runnerFor(pod: V1Pod, local: Set<string>): Runner | undefined {
  const run = (cmd: string, args: readonly string[]) => {
    const r = spawnSync(cmd, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    });
    // conntrack exits 1 when no entry matched: nothing to cut is not a failure.
    return { ok: !r.error && (r.status === 0 || r.status === 1), missing: !!r.error, stdout: r.stdout ?? '' };
  };
  if (pod.status?.hostIP && local.has(pod.status.hostIP) && process.getuid?.() === 0)
    return (argv) => run(argv[0]!, argv.slice(1));
  const node = pod.spec?.nodeName;
  if (
    node &&
    spawnSync('docker', ['inspect', '--type', 'container', node], { stdio: 'ignore', timeout: 10_000 })
      .status === 0
  )
    return (argv) => run('docker', ['exec', node, ...argv]);
  return undefined;
}

export interface CutTiming {
  /** Between a cut and the look for re-established flows. */
  readonly recheckMs: number;
  /** Give up (and say so) when flows still come back after this long. */
  readonly deadlineMs: number;
}

const DEFAULT_TIMING: CutTiming = { recheckMs: 500, deadlineMs: 15_000 };

/**
 * Delete the conntrack entries of flows from `sources` to `targets` (by the answering pod's
 * IP, so flows through a Service's ClusterIP are included), again and again until none is
 * established any more. Returns one line on what happened.
 */
export async function cutEstablished(
  sources: readonly V1Pod[],
  targets: readonly V1Pod[],
  timing: CutTiming = DEFAULT_TIMING,
): Promise<string> {
  const local = localAddresses();
  const dst = targets.map((p) => p.status?.podIP).filter((ip): ip is string => !!ip);
  const pairs: { run: Runner; src: string; dst: string }[] = [];
  const unreachable = new Set<string>();
  for (const pod of sources) {
    const src = pod.status?.podIP;
    if (!src) continue;
    const run = runnerFor(pod, local);
    if (run) for (const d of dst) pairs.push({ run, src, dst: d });
    else unreachable.add(pod.spec?.nodeName ?? '?');
  }
  const started = performance.now();
  let rounds = 0;
  let live = pairs;
  while (live.length) {
    rounds++;
    for (const p of live) {
      const r = p.run(['conntrack', '-D', '-s', p.src, '--reply-src', p.dst]);
      if (r.missing || !r.ok) unreachable.add(p.src);
    }
    if (unreachable.size) break;
    await systemClock.sleep(timing.recheckMs);
    live = live.filter((p) => established(p.run, p.src, p.dst) > 0);
    if (live.length && performance.now() - started > timing.deadlineMs)
      return `established connections NOT cut: ${live.map((p) => `${p.src}->${p.dst}`).join(', ')} kept coming back for ${timing.deadlineMs} ms (is the policy enforced?)`;
  }
  if (unreachable.size)
    return `established connections NOT cut for ${[...unreachable].join(', ')} (no conntrack access on their node: it is neither this machine, as root, nor a container \`docker exec\` reaches; for a kind cluster, set DOCKER_HOST to the Docker daemon that runs its nodes): they survive the policy`;
  return `established connections cut (${pairs.length} source/target pairs, ${rounds} round${rounds === 1 ? '' : 's'})`;
}

function established(run: Runner, src: string, dst: string): number {
  const r = run(['conntrack', '-L', '-p', 'tcp', '--state', 'ESTABLISHED', '-s', src, '--reply-src', dst]);
  return r.stdout.split('\n').filter((l) => l.includes('ESTABLISHED')).length;
}

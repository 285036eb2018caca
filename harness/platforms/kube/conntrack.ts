/**
 * Network policy plugins (kube-router, kindnet, Calico's iptables mode) only judge NEW
 * connections: a pooled database connection opened before a deny keeps working, so a
 * "partition" would leave the service healthy. A real partition drops every packet, so after a
 * deny is in force its flows' conntrack entries are deleted on the source pods' nodes; the next
 * packet of each flow is judged again and dropped. Nothing to undo: allowed flows are
 * re-established as new connections.
 *
 * A node is reached where it is this machine (the self-built cluster: the pod's hostIP is one
 * of our addresses) or a kind node container (`docker exec <node>`); elsewhere the cut is
 * skipped and said so.
 */
import { spawnSync } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import type { V1Pod } from '@kubernetes/client-node';

const localAddresses = (): Set<string> =>
  new Set(
    Object.values(networkInterfaces())
      .flat()
      .map((i) => i?.address ?? '')
      .filter(Boolean),
  );

type Runner = (argv: readonly string[]) => { ok: boolean; missing: boolean };

function runnerFor(pod: V1Pod, local: Set<string>): Runner | undefined {
  const run = (cmd: string, args: readonly string[]) => {
    const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
    // conntrack exits 1 when no entry matched: nothing to cut is not a failure.
    return { ok: !r.error && (r.status === 0 || r.status === 1), missing: !!r.error };
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

/**
 * Delete the conntrack entries of flows from `sources` to `targets` (by the answering pod's
 * IP, so flows through a Service's ClusterIP are included). Returns one line on what happened.
 */
export function cutEstablished(sources: readonly V1Pod[], targets: readonly V1Pod[]): string {
  const local = localAddresses();
  const dst = targets.map((p) => p.status?.podIP).filter((ip): ip is string => !!ip);
  let cut = 0;
  const unreachable = new Set<string>();
  for (const pod of sources) {
    const src = pod.status?.podIP;
    if (!src) continue;
    const run = runnerFor(pod, local);
    if (!run) {
      unreachable.add(pod.spec?.nodeName ?? '?');
      continue;
    }
    for (const d of dst) {
      const r = run(['conntrack', '-D', '-s', src, '--reply-src', d]);
      if (r.missing || !r.ok) unreachable.add(pod.spec?.nodeName ?? '?');
      else cut++;
    }
  }
  if (unreachable.size)
    return `established connections NOT cut on node(s) ${[...unreachable].join(', ')} (no conntrack access there): they survive the policy`;
  return `established connections cut (${cut} source/target pairs)`;
}

/**
 * PlatformAction (verbs as data) -> the local stack's verbs, with output shaped like kubectl's
 * so a runbook step translated to an action reads the same in the report.
 */
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import type { PlatformAction, WorkloadStatus } from '../types.ts';
import type { LocalStack } from './stack.ts';

export function formatStatus(statuses: readonly WorkloadStatus[]): string {
  const rows = [['NAME', 'READY', 'STATUS', 'RESTARTS', 'LAST TERMINATION']];
  for (const w of statuses) {
    if (w.pods.length === 0) rows.push([`deployment/${w.name}`, `0/${w.desiredReplicas}`, w.state, '0', '']);
    for (const p of w.pods) {
      const last = p.lastTermination
        ? `${p.lastTermination.reason} (exit ${p.lastTermination.exitCode ?? '?'})`
        : '';
      rows.push([p.name, p.ready ? '1/1' : '0/1', p.state, String(p.restarts), last]);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return (
    rows
      .map((r) =>
        r
          .map((c, i) => c.padEnd(widths[i]!))
          .join('   ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

export async function performAction(stack: LocalStack, action: PlatformAction): Promise<string> {
  switch (action.verb) {
    case 'status': {
      const names = action.workload ? [action.workload] : stack.workloads();
      return formatStatus(await Promise.all(names.map((n) => stack.status(n))));
    }
    case 'scale':
      await stack.scale(action.workload, action.replicas);
      return `deployment.apps/${action.workload} scaled to ${action.replicas}\n`;
    case 'rollout-restart':
      await stack.rolloutRestart(action.workload);
      return `deployment.apps/${action.workload} restarted\n`;
    case 'set-env':
      await stack.setEnv(action.workload, action.env);
      return `deployment.apps/${action.workload} env updated\n`;
    case 'set-resources':
      await stack.setResources(action.workload, action.resources);
      return `deployment.apps/${action.workload} resource requirements updated\n`;
    case 'delete-pod': {
      const before = (await stack.status(action.workload)).pods.map((p) => p.name);
      await stack.deletePod(action.workload, action.pod);
      return `pod "${action.pod ?? before[0] ?? '?'}" deleted\n`;
    }
    case 'logs':
      return stack.logs(action.workload, action.options);
    case 'list-network-policies': {
      const names = await stack.listNetworkDenies();
      return names.length ? names.join('\n') + '\n' : `No resources found in ${stack.namespace} namespace.\n`;
    }
    case 'delete-network-policy':
      await stack.removeNetworkDeny(action.name);
      return `networkpolicy.networking.k8s.io "${action.name}" deleted\n`;
    case 'exec-check':
      return execCheck(stack, action.workload, action.check, action.target);
  }
}

/** Checks a runbook runs "from inside" a workload, over the same links its instances use. */
async function execCheck(
  stack: LocalStack,
  workload: string,
  check: string,
  target?: string,
): Promise<string> {
  const w = stack.workload(workload);
  const need = (): string => {
    if (!target) throw new Error(`exec-check ${check} needs a target`);
    return target;
  };
  switch (check) {
    case 'env':
      return Object.entries(stack.parts.declaredEnv(w))
        .map(([k, v]) => `${k}=${v}`)
        .join('\n')
        .concat('\n');
    case 'ps':
      return w.pods.map((p) => `${p.name}\tpid=${p.pid ?? '-'}\t${p.status().state}`).join('\n') + '\n';
    case 'tcp':
    case 'sql':
    case 'redis-ping': {
      const to = need().split(':')[0]!;
      const port = stack.parts.network.linkPort(workload, to) ?? stack.parts.network.servicePort(to);
      if (port === undefined) throw new Error(`${workload} has no route to ${to}`);
      const probe = check === 'redis-ping' ? 'PING\r\n' : check === 'sql' ? SSL_REQUEST : undefined;
      const answer = await tcpExchange(port, probe);
      return `${check} ${workload} -> ${to}: ${answer}\n`;
    }
    case 'dns': {
      const dns = stack.parts.dns.get(w.name);
      const unshare = stack.parts.bins.unshare;
      if (!dns || !unshare) throw new Error(`${workload} has no private name resolution on this machine`);
      const script =
        'mount --bind "$0" /etc/hosts && mount --bind "$1" /etc/nsswitch.conf && getent hosts "$2"';
      const r = spawnSync(
        unshare,
        [
          '--mount',
          '--propagation',
          'private',
          '--',
          'sh',
          '-c',
          script,
          dns.files.hosts,
          dns.files.nsswitch,
          need(),
        ],
        { encoding: 'utf8', timeout: 5000 },
      );
      if (r.status !== 0) throw new Error(`${need()}: name does not resolve from ${workload}`);
      return r.stdout;
    }
    default:
      throw new Error(`exec-check ${check} is not runnable on local`);
  }
}

// Postgres SSLRequest: any live server answers one byte ('S' or 'N'), without credentials.
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 4, 210, 22, 47]);

/** Connect, optionally send a probe, and wait for an answer; a reset or silence is a failure. */
function tcpExchange(port: number, probe: string | Buffer | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const fail = (why: string) => {
      socket.destroy();
      reject(new Error(why));
    };
    const timer = setTimeout(() => fail('no answer within 2 s'), 2000);
    socket.once('error', (err) => {
      clearTimeout(timer);
      fail(`connection failed: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
    });
    socket.once('connect', () => {
      if (probe === undefined) {
        // A cut link accepts and resets at once; give it a moment to show that.
        setTimeout(() => {
          clearTimeout(timer);
          if (socket.destroyed) return;
          socket.destroy();
          resolve('connected');
        }, 200);
        return;
      }
      socket.write(probe);
    });
    socket.once('data', (data) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(`answered ${JSON.stringify(data.toString('latin1').trim().slice(0, 40))}`);
    });
    // After a resolve this is a no-op; before one, the peer hung up on us.
    socket.once('close', () => {
      clearTimeout(timer);
      reject(new Error('connection closed by peer'));
    });
  });
}

/**
 * PlatformAction (verbs as data) -> the local stack's verbs, with output shaped like kubectl's
 * so a runbook step translated to an action reads the same in the report.
 */
import { connect } from 'node:net';
import { type ExecCheckAction, performOn } from '../perform.ts';
import type { PlatformAction, RunningStack } from '../types.ts';
import type { Binaries } from './binaries.ts';
import { inPrivateMounts, type WorkloadDns } from './dns.ts';
import type { StackNetwork } from './network.ts';
import type { Workload } from './workload.ts';

/** What the actions need of the local stack (LocalStack passes itself; this file does not import it). */
export interface LocalActionTarget extends RunningStack {
  workload(name: string): Workload;
  listNetworkDenies(): Promise<readonly string[]>;
  removeNetworkDeny(name: string): Promise<void>;
  readonly parts: {
    readonly network: Pick<StackNetwork, 'linkPort' | 'servicePort'>;
    readonly dns: ReadonlyMap<string, WorkloadDns>;
    readonly bins: Pick<Binaries, 'unshare'>;
    readonly declaredEnv: (w: Workload) => Record<string, string>;
  };
}

/** `signal`: the step timed out or the drill stopped; what has not started yet never does. */
export async function performAction(
  stack: LocalActionTarget,
  action: PlatformAction,
  signal?: AbortSignal,
): Promise<string> {
  signal?.throwIfAborted();
  // Local's scale output names the count; kube's is kubectl's own wording.
  if (action.verb === 'scale') {
    await stack.scale(action.workload, action.replicas, signal);
    return `deployment.apps/${action.workload} scaled to ${action.replicas}\n`;
  }
  return performOn(stack, action, {
    async deletePod(workload, pod) {
      const before = (await stack.status(workload)).pods.map((p) => p.name);
      await stack.deletePod(workload, pod);
      return pod ?? before[0];
    },
    networkPolicies: () => stack.listNetworkDenies(),
    deleteNetworkPolicy: (name) => stack.removeNetworkDeny(name),
    // local has no release policies: every policy listed is a deny added at run time, unlabelled
    labelledNetworkPolicies: async () =>
      (await stack.listNetworkDenies()).map((name) => ({ name, labels: {} })),
    rolloutUndo: (workload) => stack.workload(workload).rolloutUndo(),
    execCheck: (check) => execCheck(stack, check),
  });
}

/** Checks a runbook runs "from inside" a workload, over the same links its instances use. */
async function execCheck(
  stack: LocalActionTarget,
  { workload, check, target }: ExecCheckAction,
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
      const r = inPrivateMounts(unshare, 'sh', script, [dns.files.hosts, dns.files.nsswitch, need()]);
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

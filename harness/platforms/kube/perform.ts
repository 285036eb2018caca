/**
 * PlatformAction (verbs as data) on the kube stack, with kubectl-shaped output. Used for the
 * scenarios' extra steps; the runbook's own steps run literally through bash and kubectl.
 * Checks "from inside a workload" run in one of its pods (`kubectl exec`), over the pod's own
 * network, so a NetworkPolicy fault shows in them as it does for the service.
 */

import type { V1NetworkPolicy, V1Pod } from '@kubernetes/client-node';
import { type ExecCheckAction, performOn } from '../perform.ts';
import type { PlatformAction, RunningStack } from '../types.ts';
import type { KubeApi } from './api.ts';
import { type KubectlTarget, runKubectl } from './kubectl.ts';
import { FAULT_LABEL } from './network.ts';
import { podReady } from './pod-state.ts';
import type { WatchCache } from './watch-cache.ts';

/** What the actions need of the kube stack (KubeStack passes itself; this file does not import it). */
export interface KubeActionTarget extends RunningStack {
  podsOf(workload: string): V1Pod[];
  listNetworkDenies(): Promise<readonly string[]>;
  removeNetworkDeny(name: string): Promise<void>;
  readonly parts: {
    readonly api: Pick<KubeApi, 'deleteNetworkPolicy'>;
    readonly policies: Pick<WatchCache<V1NetworkPolicy>, 'list'>;
    readonly target: KubectlTarget;
  };
}

export function performKubeAction(stack: KubeActionTarget, action: PlatformAction): Promise<string> {
  return performOn(stack, action, {
    async deletePod(workload, pod) {
      const name = pod ?? stack.podsOf(workload).find(podReady)?.metadata?.name;
      await stack.deletePod(workload, name);
      return name;
    },
    async networkPolicies() {
      return stack.parts.policies
        .list()
        .map((p) => {
          const fault = p.metadata?.labels?.[FAULT_LABEL] === 'true' ? '   (firedrill fault)' : '';
          return `${p.metadata?.name}   ${JSON.stringify(p.spec?.podSelector ?? {})}${fault}`;
        })
        .sort();
    },
    // A firedrill deny goes through the stack, which also lifts the allows it suspended.
    async deleteNetworkPolicy(name) {
      if ((await stack.listNetworkDenies()).includes(name)) await stack.removeNetworkDeny(name);
      else if (!(await stack.parts.api.deleteNetworkPolicy(name)))
        throw new Error(`networkpolicy ${name} not found`);
    },
    async labelledNetworkPolicies() {
      return stack.parts.policies
        .list()
        .map((p) => ({ name: p.metadata?.name ?? '', labels: { ...(p.metadata?.labels ?? {}) } }));
    },
    async rolloutUndo(workload) {
      const r = await runKubectl(stack.parts.target, ['rollout', 'undo', `deployment/${workload}`], {
        timeoutMs: 30_000,
      });
      if (r.code !== 0) throw new Error(`rollout undo ${workload}: ${(r.stderr || r.stdout).trim()}`);
    },
    execCheck: (check) => execCheck(stack, check),
  });
}

const DEFAULT_PORTS: Record<string, number> = { sql: 5432, 'redis-ping': 6379 };

/** A shell line for each check, run with bash inside the workload's container. */
function checkScript(check: string, target: string | undefined): string {
  const need = () => {
    if (!target) throw new Error(`exec-check ${check} needs a target`);
    return target;
  };
  switch (check) {
    case 'env':
      return 'env | sort';
    case 'ps':
      return 'for p in /proc/[0-9]*; do printf "%s %s\\n" "$(basename "$p")" "$(tr "\\0" " " < "$p/cmdline" 2>/dev/null)"; done';
    case 'dns':
      return `getent hosts ${JSON.stringify(need())}`;
    case 'tcp':
    case 'sql':
    case 'redis-ping': {
      const [host, port] = need().split(':');
      const p = Number(port ?? DEFAULT_PORTS[check] ?? NaN);
      if (!host || !Number.isInteger(p)) throw new Error(`exec-check ${check}: target must be host:port`);
      return `timeout 3 bash -c 'exec 3<>/dev/tcp/${host}/${p}' && echo "${check} -> ${host}:${p}: connected"`;
    }
    default:
      throw new Error(`exec-check ${check} is not supported on kube`);
  }
}

async function execCheck(
  stack: KubeActionTarget,
  { workload, check, target }: ExecCheckAction,
): Promise<string> {
  const pod = stack.podsOf(workload).find(podReady) ?? stack.podsOf(workload)[0];
  if (!pod) throw new Error(`${workload} has no pods to run ${check} in`);
  const r = await runKubectl(
    stack.parts.target,
    ['exec', pod.metadata!.name!, '--', 'bash', '-c', checkScript(check, target)],
    { timeoutMs: 15_000 },
  );
  if (r.code !== 0)
    throw new Error(
      `${check} in ${pod.metadata?.name}: ${(r.stderr || r.stdout).trim().split('\n').pop() ?? `exit ${r.code}`}`,
    );
  return r.stdout;
}

/**
 * PlatformAction (verbs as data) on the kube stack, with kubectl-shaped output. Used for the
 * scenarios' extra steps; the runbook's own steps run literally through bash and kubectl.
 * Checks "from inside a workload" run in one of its pods (`kubectl exec`), over the pod's own
 * network, so a NetworkPolicy fault shows in them as it does for the service.
 */
import { formatStatus } from '../local/perform.ts';
import type { PlatformAction } from '../types.ts';
import { runKubectl } from './kubectl.ts';
import { FAULT_LABEL } from './network.ts';
import { podReady } from './pod-state.ts';
import type { KubeStack } from './stack.ts';

export async function performKubeAction(stack: KubeStack, action: PlatformAction): Promise<string> {
  switch (action.verb) {
    case 'status': {
      const names = action.workload ? [action.workload] : stack.workloads();
      return formatStatus(await Promise.all(names.map((n) => stack.status(n))));
    }
    case 'scale':
      await stack.scale(action.workload, action.replicas);
      return `deployment.apps/${action.workload} scaled\n`;
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
      const pod = action.pod ?? stack.podsOf(action.workload).find(podReady)?.metadata?.name;
      await stack.deletePod(action.workload, pod);
      return `pod "${pod ?? '?'}" deleted\n`;
    }
    case 'logs':
      return stack.logs(action.workload, action.options);
    case 'list-network-policies': {
      const all = stack.parts.policies.list();
      if (all.length === 0) return `No resources found in ${stack.namespace} namespace.\n`;
      return (
        all
          .map((p) => {
            const fault = p.metadata?.labels?.[FAULT_LABEL] === 'true' ? '   (firedrill fault)' : '';
            return `${p.metadata?.name}   ${JSON.stringify(p.spec?.podSelector ?? {})}${fault}`;
          })
          .sort()
          .join('\n') + '\n'
      );
    }
    case 'delete-network-policy':
      if ((await stack.listNetworkDenies()).includes(action.name)) await stack.removeNetworkDeny(action.name);
      else if (!(await stack.parts.api.deleteNetworkPolicy(action.name)))
        throw new Error(`networkpolicy ${action.name} not found`);
      return `networkpolicy.networking.k8s.io "${action.name}" deleted\n`;
    case 'exec-check':
      return execCheck(stack, action.workload, action.check, action.target);
  }
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
  stack: KubeStack,
  workload: string,
  check: string,
  target?: string,
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

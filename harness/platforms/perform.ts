/**
 * PlatformAction (verbs as data) -> a stack's verbs, with output shaped like kubectl's so a
 * runbook step translated to an action reads the same in the report on either platform.
 * What a verb means where the platforms differ (which pod, which policies, how a check runs
 * inside a workload) each platform supplies as its `PlatformSpecifics`.
 */
import type { PlatformAction, RunningStack, WorkloadStatus } from './types.ts';

export type ExecCheckAction = Extract<PlatformAction, { verb: 'exec-check' }>;

export interface PlatformSpecifics {
  /** Kill one instance (`pod`, or one the platform picks); resolves to the name of the pod, where known. */
  deletePod(workload: string, pod: string | undefined): Promise<string | undefined>;
  /** One line per network policy in the namespace, as it should be listed. */
  networkPolicies(): Promise<readonly string[]>;
  /** Throws when there is no such policy. */
  deleteNetworkPolicy(name: string): Promise<void>;
  /** Every network policy in the namespace with its labels. */
  labelledNetworkPolicies(): Promise<readonly { name: string; labels: Readonly<Record<string, string>> }[]>;
  /** Back to the workload's previous pod template (`kubectl rollout undo`). */
  rolloutUndo(workload: string): Promise<void>;
  /** A check run from inside the workload, over the links its instances use. */
  execCheck(action: ExecCheckAction): Promise<string>;
}

type VerbStack = Pick<
  RunningStack,
  'namespace' | 'workloads' | 'status' | 'scale' | 'rolloutRestart' | 'setEnv' | 'setResources' | 'logs'
>;

export async function performOn(
  stack: VerbStack,
  action: PlatformAction,
  own: PlatformSpecifics,
): Promise<string> {
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
    case 'delete-pod':
      return `pod "${(await own.deletePod(action.workload, action.pod)) ?? '?'}" deleted\n`;
    case 'logs':
      return stack.logs(action.workload, action.options);
    case 'list-network-policies': {
      const lines = await own.networkPolicies();
      return lines.length ? `${lines.join('\n')}\n` : `No resources found in ${stack.namespace} namespace.\n`;
    }
    case 'delete-network-policy':
      await own.deleteNetworkPolicy(action.name);
      return `networkpolicy.networking.k8s.io "${action.name}" deleted\n`;
    case 'delete-network-policies': {
      const matches = (await own.labelledNetworkPolicies()).filter((p) =>
        labelsMatch(action.selector, p.labels),
      );
      for (const p of matches) await own.deleteNetworkPolicy(p.name);
      return matches.length
        ? matches.map((p) => `networkpolicy.networking.k8s.io "${p.name}" deleted\n`).join('')
        : 'No resources found\n';
    }
    case 'rollout-undo':
      await own.rolloutUndo(action.workload);
      return `deployment.apps/${action.workload} rolled back\n`;
    case 'exec-check':
      return own.execCheck(action);
  }
}

/** `kubectl get pods`-shaped table of the workloads' instances. */
export function formatStatus(statuses: readonly WorkloadStatus[]): string {
  const rows = [['NAME', 'READY', 'STATUS', 'RESTARTS', 'LAST TERMINATION']];
  for (const w of statuses) {
    if (w.pods.length === 0) rows.push([`deployment/${w.name}`, `0/${w.desiredReplicas}`, w.state, '0', '']);
    for (const p of w.pods) {
      const last = p.lastTermination
        ? `${p.lastTermination.reason} (exit ${p.lastTermination.exitCode ?? '?'})`
        : (p.message ?? ''); // a Pending pod says why the scheduler left it there
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

/**
 * Does an equality-based label selector (`k`, `!k`, `k=v`, `k==v`, `k!=v`, comma = and) select
 * these labels? Set-based terms (`k in (a,b)`) are refused rather than guessed.
 */
export function labelsMatch(selector: string, labels: Readonly<Record<string, string>>): boolean {
  return selector.split(',').every((raw) => {
    const term = raw.trim();
    if (!term) return true;
    let m = /^!\s*([\w./-]+)$/.exec(term);
    if (m) return !(m[1]! in labels);
    m = /^([\w./-]+)\s*(!=|==|=)\s*([\w.-]*)$/.exec(term);
    if (m) return m[2] === '!=' ? labels[m[1]!] !== m[3] : labels[m[1]!] === m[3];
    if (/^[\w./-]+$/.test(term)) return term in labels;
    throw new Error(`label selector term "${term}" is not supported (equality-based terms only)`);
  });
}

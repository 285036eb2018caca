/**
 * A platform action said as the kubectl command an on-call engineer would type, so a fix the
 * scenario had to supply can be written into the runbook. The local translator reads each
 * rendering back to the same action (a test keeps the two in step).
 */
import type { PlatformAction } from '../platforms/types.ts';

type Verb = PlatformAction['verb'];
type ActionOf<V extends Verb> = Extract<PlatformAction, { verb: V }>;

/** Single-quote a shell word unless it is plainly safe. */
export const shellQuote = (s: string): string =>
  /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;

const resourceList = (r: { cpu?: string | undefined; memory?: string | undefined } | undefined) =>
  r
    ? Object.entries(r)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')
    : '';

const EXEC: Readonly<Record<ActionOf<'exec-check'>['check'], (target: string | undefined) => string>> = {
  tcp: (t) => {
    const i = t?.lastIndexOf(':') ?? -1;
    return `nc -zv -w 3 ${t && i > 0 ? `${t.slice(0, i)} ${t.slice(i + 1)}` : (t ?? '')}`.trimEnd();
  },
  dns: (t) => `nslookup ${t ?? ''}`.trimEnd(),
  env: (t) => (t ? `env | grep ${shellQuote(t)}` : 'env'),
  sql: (t) => `psql${t ? ` -h ${t}` : ''} -c 'SELECT 1'`,
  'redis-ping': (t) => `redis-cli${t ? ` -h ${t}` : ''} ping`,
  ps: () => 'ps aux',
};

/**
 * One renderer per verb. A new verb in the platform schema is a type error here until it gets
 * its line.
 */
const RENDER: { readonly [V in Verb]: (a: ActionOf<V>, ns: string) => string } = {
  status: (a, n) => `kubectl get pods ${n}${a.workload ? ` -l app=${a.workload}` : ''}`,
  scale: (a, n) => `kubectl scale deployment/${a.workload} --replicas=${a.replicas} ${n}`,
  'rollout-restart': (a, n) => `kubectl rollout restart deployment/${a.workload} ${n}`,
  'rollout-undo': (a, n) => `kubectl rollout undo deployment/${a.workload} ${n}`,
  'set-env': (a, n) =>
    `kubectl set env deployment/${a.workload} ${Object.entries(a.env)
      .map(([k, v]) => (v === null ? `${k}-` : shellQuote(`${k}=${v}`)))
      .join(' ')} ${n}`,
  'set-resources': (a, n) =>
    [
      `kubectl set resources deployment/${a.workload}`,
      ...(a.resources.limits ? [`--limits=${resourceList(a.resources.limits)}`] : []),
      ...(a.resources.requests ? [`--requests=${resourceList(a.resources.requests)}`] : []),
      n,
    ].join(' '),
  'delete-pod': (a, n) =>
    a.pod ? `kubectl delete pod ${a.pod} ${n}` : `kubectl delete pod -l app=${a.workload} ${n}`,
  logs: (a, n) =>
    [
      `kubectl logs deployment/${a.workload} ${n}`,
      ...(a.options?.previous ? ['--previous'] : []),
      ...(a.options?.tailLines !== undefined ? [`--tail=${a.options.tailLines}`] : []),
      ...(a.options?.sinceSeconds !== undefined ? [`--since=${a.options.sinceSeconds}s`] : []),
    ].join(' '),
  'list-network-policies': (_a, n) => `kubectl get networkpolicies ${n}`,
  'delete-network-policy': (a, n) => `kubectl delete networkpolicy ${a.name} ${n}`,
  'delete-network-policies': (a, n) => `kubectl delete networkpolicy -l ${shellQuote(a.selector)} ${n}`,
  'exec-check': (a, n) => {
    const remote = EXEC[a.check](a.target);
    // a pipe belongs to the local shell, after kubectl; everything else runs in the pod
    const [inPod, filter] = remote.split(' | ');
    return `kubectl exec deployment/${a.workload} ${n} -- ${inPod}${filter ? ` | ${filter}` : ''}`;
  },
};

/**
 * @example
 * kubectlFor({ verb: 'scale', workload: 'api', replicas: 3 }, 'shop')
 * // -> 'kubectl scale deployment/api --replicas=3 -n shop'
 */
export function kubectlFor(action: PlatformAction, namespace: string): string {
  const render = RENDER[action.verb] as (a: PlatformAction, ns: string) => string;
  return render(action, `-n ${namespace}`);
}

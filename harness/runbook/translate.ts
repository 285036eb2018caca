/**
 * Runbook commands for the local platform: kubectl -> PlatformAction, curl -> an HTTP check
 * against the drill's endpoint. Whatever has no faithful counterpart comes back as
 * { translatable: false, reason }, to be reported as "not runnable on local", never dropped.
 */
import type { PlatformAction, ResourceSpec } from '../platforms/types.ts';
import { type Invocation, invocations } from './invocation.ts';
import { flag, type KubectlCall, parseKubectl, selectorLabels } from './kubectl.ts';
import { parseFilter } from './output-filter.ts';
import { translateCurl } from './translate-curl.ts';
import { translateExec } from './translate-exec.ts';
import { unhonouredFlags } from './translate-flags.ts';
import { no, type TranslateOptions, type Translation } from './translate-types.ts';

export type { HttpCheck, TranslateOptions, Translation } from './translate-types.ts';

const WORKLOAD_KINDS = new Set(['deployment', 'statefulset', 'daemonset', 'replicaset']);

/** The workload a resource reference names; pods via a `$(kubectl get pods -l app=X ...)` lookup. */
function workloadOf(call: KubectlCall, nested: readonly Invocation[]): string | undefined {
  for (const r of call.resources) {
    if (WORKLOAD_KINDS.has(r.kind) && r.name && !r.name.includes('$')) return r.name;
    if (r.kind === 'pod' && r.name?.includes('$(')) {
      for (const inv of nested) {
        const inner = parseKubectl(inv.words);
        const sel = inner && flag(inner, 'selector');
        if (typeof sel === 'string') {
          const labels = selectorLabels(sel);
          const app = labels['app'] ?? labels['app.kubernetes.io/name'];
          if (app) return app;
        }
      }
    }
  }
  const sel = flag(call, 'selector');
  if (typeof sel === 'string') {
    const labels = selectorLabels(sel);
    return labels['app'] ?? labels['app.kubernetes.io/name'];
  }
  return undefined;
}

/**
 * `pod/$(kubectl get pods -l app=X -o jsonpath='{.items[0].metadata.name}')`: local resolves the
 * lookup to workload X without running it; on a cluster an index into an empty list fails.
 */
function podLookup(
  call: KubectlCall,
  nested: readonly Invocation[],
  workload: string | undefined,
): { workload: string; note: string } | undefined {
  if (!workload || !call.resources.some((r) => r.kind === 'pod' && r.name?.includes('$('))) return undefined;
  const indexed = nested.some((inv) => {
    const inner = parseKubectl(inv.words);
    const out = inner && flag(inner, 'output');
    return typeof out === 'string' && /items\[\d+\]/.test(out);
  });
  return {
    workload,
    note: indexed
      ? `the pod lookup \`$(kubectl get pods ... {.items[0]...})\` is not run on local, it stands for ${workload}; on a cluster it fails with "array index out of bounds" when no pod matches`
      : `the pod lookup \`$(kubectl get pods ...)\` is not run on local, it stands for ${workload}`,
  };
}

const seconds = (s: string): number | undefined => {
  const m = /^(\d+)(s|m|h)?$/.exec(s);
  if (!m) return undefined;
  return Number(m[1]) * (m[2] === 'h' ? 3600 : m[2] === 'm' ? 60 : 1);
};

function resourcesOf(value: string | true | undefined): { cpu?: string; memory?: string } | undefined {
  if (typeof value !== 'string') return undefined;
  const out: { cpu?: string; memory?: string } = {};
  for (const kv of value.split(',')) {
    const [k, v] = kv.split('=');
    if ((k === 'cpu' || k === 'memory') && v) out[k] = v;
  }
  return Object.keys(out).length ? out : undefined;
}

function translateKubectl(
  call: KubectlCall,
  nested: readonly Invocation[],
  filter: Invocation | undefined,
  options: TranslateOptions,
): Translation {
  const ns = flag(call, 'namespace');
  if (options.namespace && typeof ns === 'string' && ns !== options.namespace)
    return no(`namespace ${ns} is not the drill's namespace ${options.namespace}`);
  const workload = workloadOf(call, nested);
  const lookup = podLookup(call, nested, workload);
  // every flag the platform verb does not honour, and a pod lookup it resolves without running
  const divergences = [...unhonouredFlags(call), ...(lookup ? [lookup.note] : [])];
  const platform = (action: PlatformAction, description: string, notes: string[] = []): Translation => ({
    translatable: true,
    target: 'platform',
    action,
    description,
    notes: [...notes, ...divergences],
    ...(lookup ? { podLookup: lookup.workload } : {}),
  });
  const kind = call.resources[0]?.kind;
  const needWorkload = (f: (w: string) => Translation): Translation =>
    workload ? f(workload) : no(`kubectl ${call.verb}: no deployment named (pod names are generated)`);

  switch (call.verb) {
    case 'get':
    case 'describe':
      if (kind === 'networkpolicy')
        return platform({ verb: 'list-network-policies' }, 'list network policies');
      if (kind === 'pod' || (kind && WORKLOAD_KINDS.has(kind)))
        return platform(
          workload ? { verb: 'status', workload } : { verb: 'status' },
          `status ${workload ?? '(all workloads)'}`,
        );
      return no(
        `kubectl ${call.verb} ${call.resources[0]?.written ?? ''}: the local platform has no ${kind ?? 'such'} objects`.replace(
          /\s+:/,
          ':',
        ),
      );
    case 'rollout status':
      return needWorkload((w) => platform({ verb: 'status', workload: w }, `status ${w}`));
    case 'logs':
      return needWorkload((w) => {
        const since = flag(call, 'since');
        const tail = flag(call, 'tail');
        const options = {
          ...(flag(call, 'previous') ? { previous: true } : {}),
          ...(typeof tail === 'string' && /^\d+$/.test(tail) ? { tailLines: Number(tail) } : {}),
          ...(typeof since === 'string' && seconds(since) !== undefined
            ? { sinceSeconds: seconds(since)! }
            : {}),
        };
        return platform(
          { verb: 'logs', workload: w, ...(Object.keys(options).length ? { options } : {}) },
          `logs ${w}`,
        );
      });
    case 'exec':
      return needWorkload((w) => {
        const t = translateExec(w, call.remote, filter);
        return t.translatable
          ? { ...t, notes: [...t.notes, ...divergences], ...(lookup ? { podLookup: lookup.workload } : {}) }
          : t;
      });
    case 'scale': {
      const r = flag(call, 'replicas');
      if (typeof r !== 'string' || !/^\d+$/.test(r)) return no('kubectl scale without a numeric --replicas');
      return needWorkload((w) =>
        platform({ verb: 'scale', workload: w, replicas: Number(r) }, `scale ${w} to ${r}`),
      );
    }
    case 'rollout restart':
      return needWorkload((w) => platform({ verb: 'rollout-restart', workload: w }, `rollout restart ${w}`));
    case 'rollout undo':
      if (flag(call, 'to-revision') !== undefined)
        return no('kubectl rollout undo --to-revision: the local platform keeps one previous revision');
      return needWorkload((w) => platform({ verb: 'rollout-undo', workload: w }, `rollout undo ${w}`));
    case 'set env': {
      const env: Record<string, string | null> = {};
      for (const a of call.args) {
        const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*)|-)$/s.exec(a.text);
        if (m) env[m[1]!] = m[2] ?? null;
      }
      for (const f of call.flags.filter((x) => x.name === 'env' && typeof x.value === 'string')) {
        const [k, ...v] = (f.value as string).split('=');
        if (k) env[k] = v.join('=');
      }
      if (Object.keys(env).length === 0) return no('kubectl set env without KEY=VALUE');
      return needWorkload((w) =>
        platform({ verb: 'set-env', workload: w, env }, `set env ${w} ${Object.keys(env).join(', ')}`),
      );
    }
    case 'set resources': {
      const limits = resourcesOf(flag(call, 'limits'));
      const requests = resourcesOf(flag(call, 'requests'));
      if (!limits && !requests) return no('kubectl set resources without --limits or --requests');
      const resources: ResourceSpec = { ...(limits ? { limits } : {}), ...(requests ? { requests } : {}) };
      return needWorkload((w) =>
        platform({ verb: 'set-resources', workload: w, resources }, `set resources ${w}`),
      );
    }
    case 'delete':
      if (kind === 'networkpolicy') {
        const name = call.resources[0]?.name;
        const selector = flag(call, 'selector');
        if (!name && typeof selector === 'string')
          return platform(
            { verb: 'delete-network-policies', selector },
            `delete network policies selected by ${selector}`,
          );
        return name && !name.includes('$')
          ? platform({ verb: 'delete-network-policy', name }, `delete network policy ${name}`)
          : no('kubectl delete networkpolicy without a literal name');
      }
      if (kind === 'pod')
        return needWorkload((w) => platform({ verb: 'delete-pod', workload: w }, `delete one pod of ${w}`));
      return no(`kubectl delete ${kind ?? ''}: no counterpart on the local platform`);
    default:
      return no(`kubectl ${call.verb} has no counterpart on the local platform`);
  }
}

/**
 * Translate one runbook command for the local platform.
 *
 * @example
 * translateCommand('kubectl scale deployment x --replicas=3 -n shop', { hostMap: {} })
 * // -> { translatable: true, target: 'platform', action: { verb: 'scale', workload: 'x', replicas: 3 }, ... }
 */
export function translateCommand(command: string, options: TranslateOptions): Translation {
  const all = invocations(command);
  const top = all.filter((i) => !i.nested);
  const nested = all.filter((i) => i.nested);
  const main = top[0];
  if (!main) return no('empty command');
  const rest = top.slice(1);
  // Only `| filter` after the main command is tolerated; a second command is a second step.
  if (rest.length > 0 && main.next !== '|')
    return no('several commands in one step; the local platform translates one at a time');
  if (rest.length > 1) return no('pipeline longer than one output filter');
  const filter = rest[0];
  const call = parseKubectl(main.words);
  if (call) return withFilter(translateKubectl(call, nested, filter, options), filter);
  if (main.program === 'curl') return withFilter(translateCurl(main.words, options), filter);
  return no(`\`${main.program}\` is not kubectl or curl; the local platform cannot run it`);
}

/** Reproduce `| grep`, `| head`, `| tail` on the platform's output; say so when we cannot. */
function withFilter(t: Translation, inv: Invocation | undefined): Translation {
  if (!t.translatable || !inv) return t;
  const filter = parseFilter(inv);
  if (filter) return { ...t, filter };
  return {
    ...t,
    notes: [
      ...t.notes,
      `output filter \`${inv.words.map((w) => w.text).join(' ')}\` not reproduced on local`,
    ],
  };
}

/**
 * What a kubectl command line asks for: verb, resources (`deployment/x` and `deployment x`
 * alike), flags in any order (`--replicas=3`, `--replicas 3`, `-n x`, `--namespace=x`), and
 * the remote command after `--` for exec. Shared by classification, translation and lint.
 */
import type { ShellWord } from './shell.ts';

export interface ResourceRef {
  /** Canonical kind: 'deployment', 'statefulset', 'pod', 'service', 'horizontalpodautoscaler', ... */
  readonly kind: string;
  /** The kind as written ('hpa', 'deploy', 'deployments'). */
  readonly written: string;
  readonly name?: string;
  /** Offset of the word in the command, for findings. */
  readonly offset: number;
}

export interface FlagUse {
  /** Canonical long name: 'namespace', 'selector', 'follow', 'tty', 'replicas', ... */
  readonly name: string;
  readonly value: string | true;
  readonly written: string;
  readonly offset: number;
}

export interface KubectlCall {
  /** 'get', 'logs', 'exec', 'scale', 'rollout restart', 'set env', 'top', 'create', ... */
  readonly verb: string;
  readonly resources: readonly ResourceRef[];
  readonly flags: readonly FlagUse[];
  /** Positional words left after verb and resources, e.g. KEY=VALUE of `set env`. */
  readonly args: readonly ShellWord[];
  /** Words after `--` (exec's remote command). */
  readonly remote: readonly ShellWord[];
}

// biome-ignore format: a dense table reads better than one entry per line
const KIND_ALIASES: Record<string, string> = {
  deploy: 'deployment', deployments: 'deployment', 'deployment.apps': 'deployment', deployment: 'deployment',
  sts: 'statefulset', statefulsets: 'statefulset', statefulset: 'statefulset',
  'statefulset.apps': 'statefulset', ds: 'daemonset', daemonsets: 'daemonset', daemonset: 'daemonset',
  rs: 'replicaset', replicasets: 'replicaset', replicaset: 'replicaset', po: 'pod', pods: 'pod', pod: 'pod',
  svc: 'service', services: 'service', service: 'service', ep: 'endpoints', endpoints: 'endpoints',
  endpointslices: 'endpointslice', hpa: 'horizontalpodautoscaler',
  horizontalpodautoscalers: 'horizontalpodautoscaler', horizontalpodautoscaler: 'horizontalpodautoscaler',
  netpol: 'networkpolicy', networkpolicies: 'networkpolicy', networkpolicy: 'networkpolicy', cm: 'configmap',
  configmaps: 'configmap', configmap: 'configmap', secrets: 'secret', secret: 'secret', no: 'node',
  nodes: 'node', node: 'node', ns: 'namespace', namespaces: 'namespace', namespace: 'namespace', ev: 'event',
  events: 'event', event: 'event', ing: 'ingress', ingresses: 'ingress', ingress: 'ingress', jobs: 'job',
  job: 'job', cj: 'cronjob', cronjobs: 'cronjob', cronjob: 'cronjob', pvc: 'persistentvolumeclaim',
  persistentvolumeclaims: 'persistentvolumeclaim', pdb: 'poddisruptionbudget',
  poddisruptionbudgets: 'poddisruptionbudget', sa: 'serviceaccount', serviceaccounts: 'serviceaccount',
  vs: 'virtualservice', virtualservices: 'virtualservice', virtualservice: 'virtualservice',
  dr: 'destinationrule', destinationrules: 'destinationrule', destinationrule: 'destinationrule',
  servicemonitors: 'servicemonitor', servicemonitor: 'servicemonitor', prometheusrules: 'prometheusrule',
  prometheusrule: 'prometheusrule', sc: 'storageclass', storageclasses: 'storageclass',
  storageclass: 'storageclass', pv: 'persistentvolume', persistentvolumes: 'persistentvolume',
  persistentvolume: 'persistentvolume', crd: 'customresourcedefinition', crds: 'customresourcedefinition',
  customresourcedefinitions: 'customresourcedefinition', priorityclasses: 'priorityclass',
};

export const canonicalKind = (written: string): string => {
  const w = written.toLowerCase();
  return KIND_ALIASES[w] ?? KIND_ALIASES[w.split('.')[0]!] ?? w.replace(/s$/, '');
};

// biome-ignore format: a dense table reads better than one entry per line
const SHORT: Record<string, string> = {
  n: 'namespace', l: 'selector', o: 'output', c: 'container', w: 'watch', i: 'stdin', t: 'tty',
  A: 'all-namespaces', k: 'kustomize', R: 'recursive', q: 'quiet', L: 'label-columns',
};
// biome-ignore format: a dense table reads better than one entry per line
const VALUE_FLAGS = new Set([
  'namespace', 'selector', 'output', 'container', 'filename', 'kustomize', 'replicas', 'since', 'since-time',
  'tail', 'field-selector', 'limits', 'requests', 'context', 'kubeconfig', 'cluster', 'user', 'server',
  'token', 'from-literal', 'from-file', 'from-env-file', 'timeout', 'request-timeout', 'sort-by', 'type',
  'image', 'revision', 'to-revision', 'current-replicas', 'resource-version', 'max-log-requests',
  'pod-running-timeout', 'template', 'grace-period', 'label-columns', 'for', 'containers', 'env',
  'overrides', 'patch', 'local-port', 'address',
]);

// biome-ignore format: a dense table reads better than one entry per line
const TWO_WORD = new Set([
  'rollout', 'set', 'create', 'config', 'auth', 'certificate', 'cluster-info', 'top',
]);
/** Verbs whose first positional is TYPE, TYPE/NAME or TYPE1,TYPE2. */
// biome-ignore format: a dense table reads better than one entry per line
const TYPED = new Set([
  'get', 'describe', 'delete', 'scale', 'edit', 'label', 'annotate', 'patch', 'wait', 'autoscale', 'expose',
  'explain',
]);
/** Verbs whose first positional is a pod name or TYPE/NAME. */
const POD_FIRST = new Set(['logs', 'exec', 'attach', 'port-forward', 'debug']);

export const isKubectl = (word: string | undefined): boolean =>
  word === 'kubectl' || word === 'k' || word === 'oc';

/** Parse a kubectl invocation (words[0] is kubectl). Undefined when there is no verb. */
export function parseKubectl(words: readonly ShellWord[]): KubectlCall | undefined {
  if (!isKubectl(words[0]?.text)) return undefined;
  const flags: FlagUse[] = [];
  const positionals: ShellWord[] = [];
  let remote: ShellWord[] = [];
  let verbHead: string | undefined;

  for (let k = 1; k < words.length; k++) {
    const w = words[k]!;
    const t = w.text;
    if (t === '--') {
      remote = words.slice(k + 1);
      break;
    }
    if (t.startsWith('--') && t.length > 2) {
      const eq = t.indexOf('=');
      const name = eq < 0 ? t.slice(2) : t.slice(2, eq);
      if (eq >= 0) flags.push({ name, value: t.slice(eq + 1), written: t, offset: w.start });
      else if (VALUE_FLAGS.has(name) && words[k + 1] && !words[k + 1]!.text.startsWith('-')) {
        flags.push({ name, value: words[k + 1]!.text, written: t, offset: w.start });
        k++;
      } else flags.push({ name, value: true, written: t, offset: w.start });
      continue;
    }
    if (t.startsWith('-') && t.length > 1 && !/^-\d/.test(t)) {
      const eq = t.indexOf('=');
      const letters = eq < 0 ? t.slice(1) : t.slice(1, eq);
      for (const [j, ch] of [...letters].entries()) {
        // -f means --follow for logs and --filename elsewhere; -p is logs' --previous.
        const name =
          ch === 'f'
            ? verbHead === 'logs'
              ? 'follow'
              : 'filename'
            : ch === 'p' && verbHead === 'logs'
              ? 'previous'
              : (SHORT[ch] ?? ch);
        const last = j === letters.length - 1;
        if (last && eq >= 0) flags.push({ name, value: t.slice(eq + 1), written: t, offset: w.start });
        else if (last && VALUE_FLAGS.has(name) && words[k + 1]) {
          flags.push({ name, value: words[k + 1]!.text, written: t, offset: w.start });
          k++;
        } else flags.push({ name, value: true, written: t, offset: w.start });
      }
      continue;
    }
    if (verbHead === undefined) verbHead = t;
    positionals.push(w);
  }
  if (verbHead === undefined) return undefined;

  positionals.shift();
  let verb = verbHead;
  if (TWO_WORD.has(verbHead) && positionals[0]) {
    const sub = positionals.shift()!;
    verb = verbHead === 'top' ? 'top' : `${verbHead} ${sub.text}`;
    if (verbHead === 'top') positionals.unshift(sub);
  }

  const resources: ResourceRef[] = [];
  const ref = (word: ShellWord, kindWritten: string, name?: string) =>
    resources.push({
      kind: canonicalKind(kindWritten),
      written: kindWritten,
      ...(name ? { name } : {}),
      offset: word.start,
    });
  let args: ShellWord[] = positionals;

  if (verb.startsWith('create ') && !verb.startsWith('create -')) {
    const kind = verb.slice(7);
    if (kind === 'secret' && positionals[0]) positionals.shift(); // generic / tls / docker-registry
    const name = positionals.shift();
    if (name) ref(name, kind, name.text);
    args = positionals;
  } else if (TYPED.has(verb) || verb === 'top' || verb.startsWith('rollout ') || verb.startsWith('set ')) {
    const first = positionals.shift();
    if (first) {
      if (first.text.includes('/')) {
        const [kind, name] = splitRef(first.text);
        ref(first, kind, name);
        while (positionals[0]?.text.includes('/') && !positionals[0].text.includes('=')) {
          const w = positionals.shift()!;
          const [k2, n2] = splitRef(w.text);
          ref(w, k2, n2);
        }
      } else {
        const kinds = first.text.split(',');
        // `set env deployment x K=V`: one name, then the variables.
        const names: ShellWord[] = [];
        while (
          positionals[0] &&
          !positionals[0].text.includes('=') &&
          !(verb === 'set env' && names.length === 1)
        )
          names.push(positionals.shift()!);
        if (names.length === 0) for (const k of kinds) ref(first, k);
        for (const n of names) for (const k of kinds) ref(n, k, n.text);
      }
    }
    args = positionals;
  } else if (POD_FIRST.has(verb)) {
    const first = positionals.shift();
    if (first) {
      const [kind, name] = first.text.includes('/') ? splitRef(first.text) : ['pod', first.text];
      ref(first, kind, name);
    }
    args = positionals;
  }
  return { verb, resources, flags, args, remote };
}

function splitRef(text: string): [string, string] {
  const i = text.indexOf('/');
  return [text.slice(0, i), text.slice(i + 1)];
}

/** Value of a flag by canonical name; `true` for boolean flags. */
export const flag = (call: KubectlCall, name: string): string | true | undefined =>
  call.flags.find((f) => f.name === name)?.value;

/** `app=shop-postgres` out of `-l app=shop-postgres` (equality selectors only). */
export function selectorLabels(selector: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of selector.split(',')) {
    const m = /^\s*([\w./-]+)\s*==?\s*([\w.-]+)\s*$/.exec(part);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

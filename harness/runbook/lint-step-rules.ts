/**
 * Lint rules about how a single step behaves when run by a machine: does it end, does it
 * want a terminal, does it run on a Mac laptop as well as in CI, does it hang on a dead
 * host, does every file and placeholder it needs exist. Each rule returns findings with
 * the line of the offending word, not just of the step.
 */
import { type Invocation, isTimeout } from './invocation.ts';
import { flag, type KubectlCall } from './kubectl.ts';
import type { LintFinding } from './lint-types.ts';

export type Emit = (rule: string, severity: LintFinding['severity'], offset: number, message: string) => void;

/** `-f`, `--follow`, `-w`, `watch ...`: the step never ends on its own. */
export function neverEnds(
  inv: Invocation,
  call: KubectlCall | undefined,
  following: Invocation | undefined,
  emit: Emit,
): void {
  if (inv.timeout !== undefined) return;
  const at = inv.words[0]!.start;
  if (inv.watched)
    emit(
      'never-ends',
      'error',
      at,
      '`watch` repeats forever; run the command once (or bound it with `timeout`)',
    );
  if (call) {
    const follow = call.flags.find((f) => f.name === 'follow' && f.value !== 'false');
    if (follow) {
      const into = inv.next === '|' ? following : undefined;
      const bounded =
        into?.program === 'head'
          ? ` (\`| ${into.words.map((w) => w.text).join(' ')}\` ends it only once that many lines arrive)`
          : into
            ? ` (piping into \`${into.program}\` does not end it)`
            : '';
      emit(
        'never-ends',
        'error',
        follow.offset,
        `\`kubectl ${call.verb} ${follow.written}\` follows the log forever${bounded}; drop ${follow.written} and use --since/--tail`,
      );
    }
    const watch = call.flags.find(
      (f) => (f.name === 'watch' || f.name === 'watch-only') && f.value !== 'false',
    );
    if (watch)
      emit(
        'never-ends',
        'error',
        watch.offset,
        `\`kubectl ${call.verb} ${watch.written}\` watches forever; list once instead`,
      );
    if (call.verb === 'port-forward' || call.verb === 'attach')
      emit(
        'never-ends',
        'error',
        at,
        `\`kubectl ${call.verb}\` runs until interrupted; a step must end on its own`,
      );
    if (call.verb === 'rollout status' && !flag(call, 'timeout'))
      emit(
        'unbounded-wait',
        'warning',
        at,
        '`kubectl rollout status` waits forever for a rollout that never completes; add --timeout=120s',
      );
    return;
  }
  const flags = inv.words.slice(1).map((w) => w.text);
  const first = (re: RegExp) => inv.words.slice(1).find((w) => re.test(w.text));
  if (
    inv.program === 'tail' ||
    inv.program === 'journalctl' ||
    (inv.program === 'docker' && flags[0] === 'logs')
  ) {
    const f = first(/^(-[a-zA-Z]*[fF][a-zA-Z]*|--follow)$/);
    if (f)
      emit(
        'never-ends',
        'error',
        f.start,
        `\`${inv.program} ${f.text}\` follows forever; read a bounded number of lines instead`,
      );
  }
  if (inv.program === 'stern' && !flags.includes('--no-follow'))
    emit(
      'never-ends',
      'error',
      at,
      '`stern` follows by default; add --no-follow or use kubectl logs --since',
    );
  if (inv.program === 'ping' && !flags.some((f) => /^-[a-zA-Z]*c/.test(f)))
    emit('never-ends', 'error', at, '`ping` without -c never stops on Linux; add -c 3');
}

/** `kubectl exec -it`: nobody is at a terminal in automation. */
export function ttyFlags(inv: Invocation, call: KubectlCall | undefined, emit: Emit): void {
  if (call && ['exec', 'run', 'attach', 'debug'].includes(call.verb))
    for (const f of call.flags.filter((x) => x.name === 'tty' && x.value !== 'false'))
      emit(
        'tty-in-automation',
        'warning',
        f.offset,
        `\`kubectl ${call.verb} ${f.written}\` asks for a terminal; automation has none (use -i or no flag)`,
      );
  if (inv.program === 'docker' || inv.program === 'podman') {
    const sub = inv.words[1]?.text;
    if (sub === 'exec' || sub === 'run')
      for (const w of inv.words.slice(2).filter((x) => /^-[a-zA-Z]*t[a-zA-Z]*$|^--tty$/.test(x.text)))
        emit(
          'tty-in-automation',
          'warning',
          w.start,
          `\`${inv.program} ${sub} ${w.text}\` asks for a terminal; automation has none`,
        );
  }
}

/** Flags only GNU tools have: the runbook breaks on the macOS laptops of the on-call engineers. */
const GNU_ONLY: Record<string, { re: RegExp; what: string; instead: string }[]> = {
  date: [
    {
      re: /^(-[a-zA-Z]*d[a-zA-Z]*|--date(=.*)?)$/,
      what: 'date -d',
      instead: 'compute the time elsewhere or use `date -v-10M` (BSD) behind a check',
    },
  ],
  sed: [
    {
      re: /^(-[a-zA-Z]*i|--in-place)$/,
      what: 'sed -i without a suffix',
      instead: 'use `sed -i.bak` or write to a new file',
    },
  ],
  grep: [{ re: /^(-[a-zA-Z]*P[a-zA-Z]*|--perl-regexp)$/, what: 'grep -P', instead: 'use grep -E' }],
  readlink: [
    { re: /^-[a-zA-Z]*f[a-zA-Z]*$/, what: 'readlink -f', instead: 'use `realpath` or `cd … && pwd -P`' },
  ],
  xargs: [
    {
      re: /^(-[a-zA-Z]*r[a-zA-Z]*|--no-run-if-empty)$/,
      what: 'xargs -r',
      instead: 'guard the input instead',
    },
  ],
  stat: [{ re: /^(-c|--format(=.*)?|--printf(=.*)?)$/, what: 'stat -c', instead: 'use `wc -c` or `ls -l`' }],
  find: [{ re: /^-printf$/, what: 'find -printf', instead: 'use -exec … {} +' }],
  base64: [{ re: /^(-w|--wrap(=.*)?)$/, what: 'base64 -w', instead: 'pipe through `tr -d "\\n"`' }],
};

export function gnuOnly(inv: Invocation, emit: Emit): void {
  const rules = GNU_ONLY[inv.program];
  if (!rules) return;
  for (const w of inv.words.slice(1))
    for (const r of rules)
      if (r.re.test(w.text))
        emit(
          'gnu-only',
          'warning',
          w.start,
          `\`${r.what}\` is GNU-only and fails on macOS/BSD; ${r.instead}`,
        );
}

/** Resource kinds that come from add-ons a cluster may not have. */
// biome-ignore format: a dense table reads better than one entry per line
const CRD_KINDS: Record<string, string> = {
  virtualservice: 'an Istio CRD', destinationrule: 'an Istio CRD', serviceentry: 'an Istio CRD',
  peerauthentication: 'an Istio CRD', sidecar: 'an Istio CRD', servicemonitor: 'a Prometheus Operator CRD',
  podmonitor: 'a Prometheus Operator CRD', prometheusrule: 'a Prometheus Operator CRD',
  certificate: 'a cert-manager CRD', issuer: 'a cert-manager CRD', rollout: 'an Argo Rollouts CRD',
  scaledobject: 'a KEDA CRD', sealedsecret: 'a Sealed Secrets CRD', serviceprofile: 'a Linkerd CRD',
};

export function addOnDependencies(
  call: KubectlCall,
  customKinds: ReadonlySet<string>,
  at: number,
  emit: Emit,
): void {
  if (call.verb === 'top')
    emit(
      'needs-metrics-server',
      'warning',
      at,
      '`kubectl top` needs metrics-server, which kind and minimal clusters do not install; read usage from the monitoring instead',
    );
  for (const r of call.resources) {
    const crd = CRD_KINDS[r.kind];
    if (crd && !customKinds.has(r.kind))
      emit(
        'missing-crd',
        'warning',
        r.offset,
        `\`${r.written}\` is ${crd}; where it is not installed kubectl fails with "the server doesn't have a resource type"; make the step conditional`,
      );
  }
}

/** `$(kubectl get pods ... '{.items[0]...}')` fails exactly when pods are gone: during the outage. */
export function fragileLookup(inv: Invocation, call: KubectlCall | undefined, emit: Emit): void {
  if (!inv.nested || !call || call.verb !== 'get') return;
  const out = flag(call, 'output');
  if (typeof out === 'string' && /items\[0\]/.test(out))
    emit(
      'fragile-pod-lookup',
      'info',
      inv.words[0]!.start,
      '`{.items[0]}` errors with "array index out of bounds" when no pod matches (as in a crash loop or a scaled-down database); address the workload instead, e.g. deployment/NAME',
    );
}

export function curlWithoutTimeout(inv: Invocation, emit: Emit): void {
  if (inv.program !== 'curl' || inv.timeout !== undefined) return;
  const words = inv.words.slice(1).map((w) => w.text);
  if (words.some((w) => /^(-m|--max-time|--connect-timeout)(=|$)/.test(w) || /^-[a-zA-Z]*m$/.test(w))) return;
  emit(
    'curl-no-timeout',
    'info',
    inv.words[0]!.start,
    'curl has no --max-time; against a black-holed host it waits minutes before failing',
  );
}

/**
 * Network clients that wait for the kernel's TCP retries (about 2 min) where a NetworkPolicy
 * drops packets: the network-failure diagnostics a partition makes hang. Looks at the command
 * itself and at what `kubectl exec ... --` runs.
 */
export function clientWithoutTimeout(inv: Invocation, call: KubectlCall | undefined, emit: Emit): void {
  if (call && call.verb !== 'exec') return;
  const words = call ? call.remote : inv.words;
  const program = words[0]?.text.replace(/^.*\//, '');
  if (!program || isTimeout(program) || inv.timeout !== undefined) return;
  const args = words.slice(1).map((w) => w.text);
  const at = words[0]!.start;
  const where = "where a NetworkPolicy drops packets it waits for the kernel's TCP retries (about 2 min)";
  if (program === 'redis-cli')
    emit(
      'client-no-timeout',
      'info',
      at,
      `redis-cli has no connect timeout; ${where}: bound it, e.g. \`timeout 5 redis-cli ...\``,
    );
  if (['nc', 'ncat', 'netcat'].includes(program) && !args.some((a) => /^-[a-zA-Z]*w/.test(a)))
    emit('client-no-timeout', 'info', at, `${program} without -w: ${where}; add -w 3`);
  const host = args.some((a) => /^(-h|--host(=.*)?)$/.test(a) || /\bhost=/.test(a));
  if (program === 'psql' && host && !args.some((a) => /connect_timeout/i.test(a)))
    emit(
      'client-no-timeout',
      'info',
      at,
      `psql to a host without connect_timeout: ${where}; connect with "host=... connect_timeout=5"`,
    );
}

/** Unquoted `?`, `*` or `[` in a URL: zsh stops with "no matches found", bash may glob. */
export function unquotedGlob(inv: Invocation, emit: Emit): void {
  for (const w of inv.words)
    if (!w.quoted && /:\/\//.test(w.raw) && /[?*[]/.test(w.raw))
      emit(
        'unquoted-glob',
        'warning',
        w.start,
        `URL ${w.raw} has an unquoted glob character; zsh aborts with "no matches found" — quote it`,
      );
}

/** Files the command reads that neither the runbook nor its directory provides. */
export function referencedFiles(
  inv: Invocation,
  call: KubectlCall | undefined,
): { path: string; offset: number }[] {
  const out: { path: string; offset: number }[] = [];
  const words = inv.words;
  if (call) {
    for (const f of call.flags)
      if (
        (f.name === 'filename' || f.name === 'kustomize' || f.name === 'from-file') &&
        typeof f.value === 'string'
      )
        out.push({ path: f.name === 'from-file' ? f.value.split('=').pop()! : f.value, offset: f.offset });
    return out.filter((p) => !/^(https?:|-|\$)/.test(p.path));
  }
  if (inv.program === 'curl')
    for (const [k, w] of words.entries()) {
      const v = words[k + 1];
      if (
        /^(-w|--write-out|-d|--data\S*|-T|--upload-file|-K|--config)$/.test(w.text) &&
        v?.text.startsWith('@')
      )
        out.push({ path: v.text.slice(1), offset: v.start });
      if (/^(-T|--upload-file|-K|--config)$/.test(w.text) && v && !v.text.startsWith('@'))
        out.push({ path: v.text, offset: v.start });
    }
  return out.filter((p) => p.path && p.path !== '-' && !p.path.includes('$'));
}

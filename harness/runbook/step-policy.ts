/**
 * What a runbook step may do on the machine that runs the drill. A runbook is untrusted
 * input run literally, so a step may only run an allow-list of host programs (kubectl, curl
 * and read-only text tools), write no files, reach only the drill's own endpoints and keep
 * kubectl on the pinned kubeconfig. Checked before any executor runs the step, so the local
 * and kube platforms refuse the same steps; lint reports the same refusals by line.
 */
import type { HostMap } from './hostmap.ts';
import { isKubectl, parseKubectl } from './kubectl.ts';
import type { Refusal } from './refusal.ts';
import { KEYWORDS_BEFORE_PROGRAM, type Segment, type ShellWord, splitSegments } from './shell.ts';
import { substitutions } from './shell-lines.ts';
import { awkRefusals, fileArgRefusals, hostPath } from './step-policy-args.ts';
import { curlRefusals } from './step-policy-curl.ts';
import { fillVariables, type Variables } from './variables.ts';

export type { Refusal } from './refusal.ts';

export interface StepPolicyOptions {
  /** `--allow-host-commands`: programs off the allow-list may run (writes and escapes stay refused). */
  readonly allowHostCommands?: boolean;
  /** `kubectl scale --replicas` above this is refused. Default 10. */
  readonly maxReplicas?: number;
  /** The drill's endpoints: curl may reach these (and mapped production URLs) only. */
  readonly hostMap?: HostMap;
  /** Values for `$NAME` in checked values (e.g. `--replicas=$N`). */
  readonly variables?: Variables;
}

export const DEFAULT_MAX_REPLICAS = 10;

/** Host programs a step may run: they read, filter or wait, nothing else. */
// biome-ignore format: a dense table reads better than one entry per line
export const ALLOWED_PROGRAMS = new Set([
  'kubectl', 'curl', 'grep', 'egrep', 'fgrep', 'head', 'tail', 'jq', 'date', 'echo', 'printf', 'sleep',
  'wc', 'sort', 'uniq', 'cut', 'tr', 'cat', 'column', 'seq', 'base64', 'true', 'false', 'test', '[', '[[',
  ':', 'tee', 'awk', 'env', 'printenv', 'timeout', 'time', 'export', 'read', 'exit', 'set', 'unset', 'local',
]);

/** Wrappers that run the next word as a program (and how many option words they take). */
const WRAPPERS = new Set(['timeout', 'env', 'time', 'command', 'exec', 'nohup', 'sudo', 'watch', 'nice']);

/** Shell keywords after which the segment runs no program (`done`). */
const NO_PROGRAM = new Set(['done', 'fi', 'esac', '}', 'for', 'select', 'case', 'in', ';;']);

/** Environment a step must not set: it would leave the pinned cluster or hijack programs. */
const GUARDED_VARS = /^(KUBECONFIG|PATH|LD_PRELOAD|LD_LIBRARY_PATH|BASH_ENV|ENV|HOME)=/;

/** kubectl flags that point it at another cluster, identity or config than the pinned one. */
const KUBECTL_ESCAPE =
  /^(--(kubeconfig|server|context|token|token-file|as|as-group|as-uid|user|cluster|username|password|certificate-authority|client-certificate|client-key|insecure-skip-tls-verify|tls-server-name)(=|$)|-s$|-s=|-s\S)/;

/** kubectl verbs a step may use; any other word would run a `kubectl-<word>` plugin from the host. */
// biome-ignore format: a dense table reads better than one entry per line
const KUBECTL_VERBS = new Set([
  'get', 'describe', 'logs', 'top', 'explain', 'api-resources', 'api-versions', 'version', 'cluster-info',
  'rollout', 'auth', 'wait', 'events', 'diff', 'exec', 'scale', 'set', 'patch', 'label', 'annotate',
  'delete', 'apply', 'create', 'replace', 'edit', 'autoscale', 'expose', 'run', 'debug', 'cordon',
  'uncordon', 'drain', 'taint', 'port-forward', 'attach', 'config', 'cp', 'proxy',
]);
const KUBECTL_CONFIG_READS = new Set(['config view', 'config get-contexts', 'config current-context']);

const SAFE_TARGETS = new Set(['/dev/null', '/dev/stdout', '/dev/stderr', '']);

const hostProgram = (program: string, offset: number): Refusal => ({
  rule: 'host-program',
  offset,
  message: `refused: host program \`${program}\` is not on the allow-list (pass --allow-host-commands to run it)`,
});

/**
 * Every reason to refuse this step, in command order; empty when it may run.
 *
 * @example
 * policyRefusals('rm -rf /tmp/x')[0]?.message
 * // -> 'refused: host program `rm` is not on the allow-list (pass --allow-host-commands to run it)'
 */
export function policyRefusals(command: string, options: StepPolicyOptions = {}): Refusal[] {
  const out: Refusal[] = [];
  const { shell, expanded } = withoutHeredocs(command);
  walk(shell, 0, options, out);
  // An unquoted here-document still runs its `$(...)`: those are checked like any other.
  for (const body of expanded)
    for (const sub of substitutions(body.text)) walk(sub.body, body.offset + sub.offset, options, out);
  return out.sort((a, b) => a.offset - b.offset);
}

/**
 * The refusals that decide a step's fate. A step that is not applicable anyway (a cloud CLI,
 * an external host) keeps that reason unless it also escapes the pinned config or writes files.
 */
export function decisiveRefusals(
  command: string,
  notApplicable: boolean,
  options: StepPolicyOptions,
): Refusal[] {
  const all = policyRefusals(command, options);
  return notApplicable ? all.filter((r) => r.rule !== 'host-program' && r.rule !== 'outside-drill') : all;
}

/**
 * The command with here-document bodies blanked (same offsets), so YAML lines are not read as
 * programs; the bodies of unquoted ones (`<<EOF`, which the shell expands) come back separately.
 */
function withoutHeredocs(command: string): { shell: string; expanded: { text: string; offset: number }[] } {
  const lines = command.split('\n');
  const expanded: { text: string; offset: number }[] = [];
  let offset = 0;
  let open: { delimiter: string; quoted: boolean; dash: boolean } | undefined;
  const out = lines.map((line) => {
    const at = offset;
    offset += line.length + 1;
    if (open) {
      const end = (open.dash ? line.replace(/^\t+/, '') : line) === open.delimiter;
      if (end) open = undefined;
      else if (!open.quoted) expanded.push({ text: line, offset: at });
      return ' '.repeat(line.length); // the closing delimiter too: it is not a command
    }
    const m = /(?<!<)<<(-?)\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\2/.exec(line);
    if (m) open = { delimiter: m[3]!, quoted: m[2] !== '', dash: m[1] === '-' };
    return line;
  });
  return { shell: out.join('\n'), expanded };
}

function walk(command: string, base: number, o: StepPolicyOptions, out: Refusal[]): void {
  for (const seg of splitSegments(command)) segmentRefusals(seg, base, o, out);
  for (const sub of substitutions(command)) walk(sub.body, base + sub.offset, o, out);
}

function segmentRefusals(seg: Segment, base: number, o: StepPolicyOptions, out: Refusal[]): void {
  const at = (w: ShellWord) => base + w.start;
  const firstAt = seg.words[0] ? at(seg.words[0]) : base;
  for (const r of seg.redirects) {
    const writes = r.op.includes('>');
    if (r.target.startsWith('('))
      out.push({
        rule: 'host-program',
        offset: firstAt,
        message: 'refused: process substitution runs a command the policy cannot check',
      });
    else if (writes && !SAFE_TARGETS.has(r.target))
      out.push({
        rule: 'file-write',
        offset: firstAt,
        message: `refused: \`${r.op} ${r.target}\` writes a file on the host; a step may only write to /dev/null`,
      });
    else if (!writes && !r.op.startsWith('<<') && r.target && hostPath(r.target) && r.target !== '/dev/null')
      out.push({
        rule: 'host-file',
        offset: firstAt,
        message: `refused: \`< ${r.target}\` reads a file of the host`,
      });
  }

  let k = 0;
  const words = seg.words;
  while (k < words.length) {
    const t = words[k]!.text;
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(t)) {
      if (GUARDED_VARS.test(t)) out.push(guardedVar(t, at(words[k]!)));
      k++;
    } else if (KEYWORDS_BEFORE_PROGRAM.has(t) && !words[k]!.quoted) k++;
    else break;
  }
  const head = words[k];
  if (!head || (NO_PROGRAM.has(head.text) && !head.quoted)) return;
  let program = head;
  let rest = words.slice(k + 1);
  // Wrappers run the program after them: check both.
  while (WRAPPERS.has(program.text) && rest.length) {
    if (!ALLOWED_PROGRAMS.has(program.text) && !o.allowHostCommands)
      out.push(hostProgram(program.text, at(program)));
    const skip = wrapperArgs(program.text, rest);
    for (const w of rest.slice(0, skip)) if (GUARDED_VARS.test(w.text)) out.push(guardedVar(w.text, at(w)));
    if (skip >= rest.length) return;
    program = rest[skip]!;
    rest = rest.slice(skip + 1);
  }
  const name = program.text.replace(/^.*\//, '');
  if (program.dynamic) {
    if (!o.allowHostCommands)
      out.push({
        rule: 'host-program',
        offset: at(program),
        message: `refused: the program name \`${program.text}\` is only known at run time`,
      });
    return;
  }
  if (['export', 'local', 'readonly', 'declare'].includes(name))
    for (const w of rest) if (GUARDED_VARS.test(w.text)) out.push(guardedVar(w.text, at(w)));
  if (!ALLOWED_PROGRAMS.has(name)) {
    if (!o.allowHostCommands) out.push(hostProgram(name, at(program)));
    return;
  }
  const all = [program, ...rest];
  if (isKubectl(name)) kubectlRefusals(all, base, o, out);
  else if (name === 'curl') out.push(...curlRefusals(all, base, o.hostMap));
  else {
    if (name === 'awk') out.push(...awkRefusals(rest, base));
    out.push(...fileArgRefusals(name, rest, base));
  }
}

const guardedVar = (assignment: string, offset: number): Refusal => ({
  rule: 'config-escape',
  offset,
  message: `refused: \`${assignment.split('=')[0]}=\` in a step would leave the drill's pinned kubeconfig and environment`,
});

/** How many words after a wrapper belong to it (options, `timeout`'s duration, `env`'s X=1). */
function wrapperArgs(wrapper: string, rest: readonly ShellWord[]): number {
  let k = 0;
  while (rest[k] && rest[k]!.text.startsWith('-')) k += /^-(s|k|n|u)$/.test(rest[k]!.text) ? 2 : 1;
  if (wrapper === 'timeout') k++;
  if (wrapper === 'env') while (rest[k] && /^[A-Za-z_][A-Za-z0-9_]*=/.test(rest[k]!.text)) k++;
  return k;
}

function kubectlRefusals(
  words: readonly ShellWord[],
  base: number,
  o: StepPolicyOptions,
  out: Refusal[],
): void {
  const dash = words.findIndex((w) => w.text === '--');
  const own = dash < 0 ? words : words.slice(0, dash);
  for (const w of own.slice(1))
    if (KUBECTL_ESCAPE.test(w.text))
      out.push({
        rule: 'config-escape',
        offset: base + w.start,
        message: `refused: \`${w.text.split('=')[0]}\` would point kubectl away from the drill's pinned kubeconfig`,
      });
  const call = parseKubectl(words);
  // `-s URL` reads as a verb to the parser; the escape already says what is wrong.
  if (!call || out.some((r) => r.rule === 'config-escape' && r.offset >= base + words[0]!.start)) return;
  const head = call.verb.split(' ')[0]!;
  const at = base + words[0]!.start;
  if (!KUBECTL_VERBS.has(head))
    out.push({
      rule: 'host-program',
      offset: at,
      message: `refused: \`kubectl ${head}\` is not a kubectl command; it would run a plugin from the host`,
    });
  else if (head === 'config' && !KUBECTL_CONFIG_READS.has(call.verb))
    out.push({
      rule: 'config-escape',
      offset: at,
      message: `refused: \`kubectl ${call.verb}\` changes the drill's kubeconfig`,
    });
  else if (head === 'cp' || head === 'proxy')
    out.push({ rule: 'file-write', offset: at, message: `refused: \`kubectl ${head}\` acts on the host` });
  if (call.verb === 'scale') {
    const f = call.flags.find((x) => x.name === 'replicas');
    const max = o.maxReplicas ?? DEFAULT_MAX_REPLICAS;
    const value = typeof f?.value === 'string' ? fillVariables(f.value, o.variables ?? {}) : undefined;
    if (value !== undefined && /^\d+$/.test(value) && Number(value) > max)
      out.push({
        rule: 'scale-cap',
        offset: base + f!.offset,
        message: `refused: \`--replicas=${value}\` is above the drill's cap of ${max} replicas`,
      });
  }
}

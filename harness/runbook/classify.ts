/**
 * What a step is for in a drill: diagnostic (read-only), remediation (changes the system),
 * verification, post-incident, or not applicable here, always with the reason. The class
 * decides when a step runs and whether its effect on health is checked.
 */
import { type HostMap, hostOf, isLoopbackUrl, mapUrl, urlsIn } from './hostmap.ts';
import { type Invocation, invocations } from './invocation.ts';
import { flag, type KubectlCall, parseKubectl } from './kubectl.ts';
import type { Step } from './model.ts';
import { curlContentRanges } from './translate-curl.ts';

export type StepIntent = 'diagnostic' | 'remediation' | 'verification' | 'post-incident';
export type StepClass = StepIntent | 'not-applicable';

export interface Classification {
  readonly kind: StepClass;
  /** What the step would be if it were applicable (StepResult.kind needs one). */
  readonly intent: StepIntent;
  readonly reason: string;
  /** URLs the host map redirects to the drill, shown in the report. */
  readonly hostMapped: readonly { from: string; to: string }[];
}

// biome-ignore format: a dense table reads better than one entry per line
const CLOUD_CLIS: Record<string, string> = {
  aws: 'aws', gcloud: 'gcloud', az: 'az', doctl: 'doctl', eksctl: 'eksctl', gsutil: 'gsutil', oci: 'oci',
};
const INTERACTIVE = new Set(['vim', 'vi', 'nano', 'less', 'more', 'k9s', 'htop']);

// biome-ignore format: a dense table reads better than one entry per line
const READ_ONLY_KUBECTL = new Set([
  'get', 'describe', 'logs', 'top', 'explain', 'api-resources', 'api-versions', 'version', 'cluster-info',
  'rollout history', 'rollout status', 'auth can-i', 'config view', 'config get-contexts',
  'config current-context', 'wait', 'events', 'port-forward', 'diff',
]);

/** Programs that only look, when run inside a container (`kubectl exec ... -- prog`). */
// biome-ignore format: a dense table reads better than one entry per line
const READ_ONLY_PROGRAMS = new Set([
  'env', 'printenv', 'nc', 'ncat', 'nslookup', 'dig', 'host', 'getent', 'ping', 'ps', 'top', 'cat', 'ls',
  'df', 'free', 'id', 'whoami', 'hostname', 'date', 'uptime', 'netstat', 'ss', 'ip', 'pg_isready', 'grep',
  'head', 'tail', 'echo', 'nproc', 'uname', 'du', 'stat', 'test', 'true', 'wget',
]);

const MUTATING_SQL =
  /\b(insert|update|delete|drop|alter|truncate|create|grant|revoke|vacuum|reindex|terminate)\b/i;
const MUTATING_REDIS = /\b(set|del|flushall|flushdb|expire|config\s+set|shutdown|client\s+kill)\b/i;

/** Whether a program run with these words changes anything. */
function programMutates(words: readonly { text: string }[]): { mutates: boolean; why: string } {
  const prog = words[0]?.text.replace(/^.*\//, '') ?? '';
  const rest = words
    .slice(1)
    .map((w) => w.text)
    .join(' ');
  if (prog === 'psql' || prog === 'mysql')
    return MUTATING_SQL.test(rest)
      ? { mutates: true, why: `${prog} runs a statement that writes` }
      : { mutates: false, why: `${prog} reads` };
  if (prog === 'redis-cli')
    return MUTATING_REDIS.test(rest)
      ? { mutates: true, why: 'redis-cli writes' }
      : { mutates: false, why: 'redis-cli reads' };
  if (prog === 'curl') {
    const method = /(?:-X|--request)\s*(\w+)/.exec(rest)?.[1]?.toUpperCase();
    const writes =
      (method && method !== 'GET' && method !== 'HEAD') ||
      /(^|\s)(-d|--data\S*|-F|--form)(\s|=|$)/.test(rest);
    return writes
      ? { mutates: true, why: `curl sends ${method ?? 'POST'}` }
      : { mutates: false, why: 'curl reads' };
  }
  if (prog === 'helm') {
    const sub = words[1]?.text ?? '';
    return ['status', 'list', 'ls', 'history', 'get', 'show', 'template', 'version'].includes(sub)
      ? { mutates: false, why: `helm ${sub} reads` }
      : { mutates: true, why: `helm ${sub} changes releases` };
  }
  if (prog === 'systemctl' || prog === 'service' || prog === 'docker') {
    const sub = words[1]?.text ?? '';
    return /^(status|ps|logs|inspect|show|is-active|list-units|stats|images)$/.test(sub)
      ? { mutates: false, why: `${prog} ${sub} reads` }
      : { mutates: true, why: `${prog} ${sub} changes services` };
  }
  if (READ_ONLY_PROGRAMS.has(prog)) return { mutates: false, why: `${prog} reads` };
  if (
    ['sed', 'awk', 'jq', 'sort', 'uniq', 'wc', 'cut', 'tr', 'xargs', 'tee', 'printf', 'sleep'].includes(prog)
  )
    return { mutates: false, why: `${prog} filters output` };
  return { mutates: false, why: `${prog} not recognised; treated as read-only` };
}

function kubectlMutates(call: KubectlCall): { mutates: boolean; why: string } {
  if (call.verb === 'exec') {
    const inner = programMutates(call.remote);
    return { mutates: inner.mutates, why: `kubectl exec: ${inner.why}` };
  }
  if (READ_ONLY_KUBECTL.has(call.verb)) return { mutates: false, why: `kubectl ${call.verb} is read-only` };
  const dryRun = flag(call, 'dry-run');
  if (dryRun !== undefined && dryRun !== 'none')
    return { mutates: false, why: `kubectl ${call.verb} --dry-run changes nothing` };
  return { mutates: true, why: `kubectl ${call.verb} changes the cluster` };
}

function mutates(inv: Invocation): { mutates: boolean; why: string } {
  const call = parseKubectl(inv.words);
  if (call) return kubectlMutates(call);
  return programMutates(inv.words);
}

/**
 * Classify a step. The host map decides which URLs belong to the drill; any other
 * non-loopback URL makes the step not applicable.
 *
 * @example
 * classifyStep(step, { hostMap: { 'https://api.example.com': 'http://127.0.0.1:31080' } })
 * // -> { kind: 'verification', intent: 'verification', reason: 'curl reads', hostMapped: [...] }
 */
export function classifyStep(step: Step, options: { hostMap: HostMap }): Classification {
  const invs = invocations(step.command);
  const effects = invs.filter((i) => !i.nested).map(mutates);
  const changing = effects.find((e) => e.mutates);
  const section = step.sectionKind;
  const intent: StepIntent =
    section === 'post-incident'
      ? 'post-incident'
      : section === 'verification'
        ? 'verification'
        : changing
          ? 'remediation'
          : 'diagnostic';
  const reasonOf = changing?.why ?? effects[0]?.why ?? 'no command';

  const hostMapped: { from: string; to: string }[] = [];
  const na = (reason: string): Classification => ({ kind: 'not-applicable', intent, reason, hostMapped });

  for (const inv of invs) {
    const cloud = CLOUD_CLIS[inv.program];
    if (cloud) return na(`cloud-provider CLI (${cloud}) has no counterpart in a drill`);
    if (INTERACTIVE.has(inv.program) || parseKubectl(inv.words)?.verb === 'edit')
      return na(
        `${inv.program === 'kubectl' ? 'kubectl edit' : inv.program} is interactive; a drill has no one at the keyboard`,
      );
  }
  const content = invs.filter((i) => i.program === 'curl').flatMap((i) => curlContentRanges(i.words));
  const sent = (offset: number) => content.some((r) => offset >= r.start && offset < r.end);
  for (const u of urlsIn(step.command).filter((x) => !sent(x.offset))) {
    const to = mapUrl(u.url, options.hostMap);
    if (to !== undefined) hostMapped.push({ from: u.url, to });
    else if (!isLoopbackUrl(u.url))
      return na(`external host ${hostOf(u.url)} is outside the drill's network`);
  }
  return { kind: intent, intent, reason: reasonOf, hostMapped };
}

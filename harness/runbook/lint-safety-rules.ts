/**
 * Lint rules about what a step may touch: destructive or out-of-scope commands a reviewer
 * must see before anyone (or any drill) runs the runbook. Cluster-scoped deletes, other
 * namespaces, secret reads, cloud metadata addresses, `rm -rf`, and whatever the step policy
 * would refuse in a drill (config overrides, writes, substitutions running other programs).
 */
import { classifyStep } from './classify.ts';
import { invocations } from './invocation.ts';
import { canonicalKind, flag, type KubectlCall, parseKubectl } from './kubectl.ts';
import type { LintFinding } from './lint-types.ts';
import { allSteps, lineAt, type Runbook, type Step } from './model.ts';
import type { ShellWord } from './shell.ts';
import { substitutions } from './shell-lines.ts';
import { policyRefusals } from './step-policy.ts';

// biome-ignore format: a dense table reads better than one entry per line
const CLUSTER_KINDS: Record<string, string> = {
  namespace: 'namespace', node: 'node', clusterrole: 'clusterrole', clusterrolebinding: 'clusterrolebinding',
  crd: 'customresourcedefinition', customresourcedefinition: 'customresourcedefinition',
  pv: 'persistentvolume', persistentvolume: 'persistentvolume', storageclass: 'storageclass',
  sc: 'storageclass', priorityclass: 'priorityclass', mutatingwebhookconfiguration: 'webhook configuration',
  validatingwebhookconfiguration: 'webhook configuration', apiservice: 'apiservice',
};

/** Instance metadata services: credentials of the machine, never a drill's business. */
const METADATA = /169\.254\.169\.254|169\.254\.170\.2|metadata\.google\.internal|fd00:ec2::254/gi;

/** Outputs that print a secret's values rather than its name. */
const REVEALING_OUTPUT = /^(yaml|json|jsonpath|go-template|template|custom-columns)/;

/** The namespace the runbook mostly uses (`-n X`), or undefined when it names none. */
export function runbookNamespace(runbook: Runbook): string | undefined {
  const counts = new Map<string, number>();
  for (const step of allSteps(runbook))
    for (const inv of invocations(step.command)) {
      const ns = parseKubectl(inv.words) && flag(parseKubectl(inv.words)!, 'namespace');
      if (typeof ns === 'string' && !ns.includes('$')) counts.set(ns, (counts.get(ns) ?? 0) + 1);
    }
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
}

type Add = (rule: string, severity: LintFinding['severity'], offset: number, message: string) => void;

function kubectlFindings(call: KubectlCall, at: number, ns: string | undefined, add: Add): void {
  const secrets = call.resources.some((r) => r.kind === 'secret');
  const all = call.flags.find((f) => f.name === 'all-namespaces' && f.value !== 'false');
  if (call.verb === 'delete')
    for (const r of call.resources) {
      const w = r.written.toLowerCase().split('.')[0]!;
      const kind = [w, w.replace(/es$/, ''), w.replace(/s$/, ''), canonicalKind(r.written)]
        .map((k) => CLUSTER_KINDS[k])
        .find(Boolean);
      if (kind)
        add(
          'cluster-delete',
          'error',
          r.offset,
          `\`kubectl delete ${r.written}\` deletes a cluster-scoped ${kind}; a runbook step must stay inside its namespace`,
        );
    }
  if (secrets && (call.verb === 'get' || call.verb === 'describe')) {
    const output = flag(call, 'output');
    if (call.verb === 'describe' || (typeof output === 'string' && REVEALING_OUTPUT.test(output)) || all)
      add(
        'secret-read',
        'error',
        at,
        `\`kubectl ${call.verb} secret${all ? ' -A' : ''}${typeof output === 'string' ? ` -o ${output}` : ''}\` reads secrets; list names only (\`kubectl get secrets -n <ns>\`) or check the consumer instead`,
      );
    else
      add(
        'secret-list',
        'info',
        at,
        '`kubectl get secrets` lists names only; fine, but keep -o yaml/json out of runbooks',
      );
    if (all) return;
  }
  if (all)
    add(
      'foreign-namespace',
      'error',
      all.offset,
      `\`kubectl ${call.verb} ${all.written}\` reaches every namespace; name the runbook's own${ns ? ` (-n ${ns})` : ''}`,
    );
  const named = call.flags.find((f) => f.name === 'namespace');
  if (ns && named && typeof named.value === 'string' && !named.value.includes('$') && named.value !== ns)
    add(
      'foreign-namespace',
      'error',
      named.offset,
      `\`-n ${named.value}\` is outside the runbook's namespace ${ns}`,
    );
}

const rmRf = (words: readonly ShellWord[]): boolean => {
  const flags = words
    .slice(1)
    .map((w) => w.text)
    .filter((t) => t.startsWith('-'));
  const r = flags.some((t) => /^-[a-zA-Z]*[rR]/.test(t) || t === '--recursive');
  const f = flags.some((t) => /^-[a-zA-Z]*f/.test(t) || t === '--force');
  return r && f;
};

/**
 * Safety findings of one step. `ns` is the runbook's own namespace (runbookNamespace).
 *
 * @example
 * safetyFindings(step, 'shop') // -> [{ rule: 'cluster-delete', severity: 'error', line: 12, ... }]
 */
export function safetyFindings(step: Step, ns: string | undefined): LintFinding[] {
  const out: LintFinding[] = [];
  const add: Add = (rule, severity, offset, message) =>
    out.push({ rule, severity, line: lineAt(step, offset), message, stepId: step.id });
  const rmAt = new Set<number>();
  for (const inv of invocations(step.command)) {
    const at = inv.words[0]!.start;
    if (inv.program === 'rm' && rmRf(inv.words)) {
      rmAt.add(at);
      add(
        'rm-rf',
        'error',
        at,
        '`rm -rf` deletes files on the machine that runs the step; a runbook step must not',
      );
    }
    const call = parseKubectl(inv.words);
    if (!call) continue;
    kubectlFindings(call, at, ns, add);
    const remote = call.remote;
    if (remote[0]?.text === 'rm' && rmRf(remote))
      add(
        'rm-rf',
        'error',
        remote[0].start,
        '`rm -rf` inside the container deletes its data; a runbook step must not',
      );
  }
  for (const m of step.command.matchAll(METADATA))
    add(
      'cloud-metadata',
      'error',
      m.index,
      `${m[0]} is a cloud metadata service (machine credentials); a runbook must never call it`,
    );
  policyFindings(step, rmAt, add);
  return out;
}

/** What the drill's step policy would refuse, as lint findings at the same words. */
function policyFindings(step: Step, rmAt: ReadonlySet<number>, add: Add): void {
  const na = classifyStep(step, { hostMap: {} }).kind === 'not-applicable';
  const subs = substitutions(step.command).map((s) => [s.offset, s.offset + s.body.length] as const);
  const nested = (offset: number) => subs.some(([a, b]) => offset >= a && offset < b);
  for (const r of policyRefusals(step.command)) {
    // Cloud CLIs and external hosts are "not applicable" already (cloud-cli info); rm has rm-rf.
    if (na && (r.rule === 'host-program' || r.rule === 'outside-drill')) continue;
    if (r.rule === 'host-program' && rmAt.has(r.offset)) continue;
    const message = r.message.replace(/^refused: /, 'a drill refuses this step: ');
    if (r.rule === 'config-escape') add('config-override', 'error', r.offset, message);
    else if (r.rule === 'host-program' && nested(r.offset))
      add('substitution-runs', 'error', r.offset, message);
    else if (r.rule === 'scale-cap' || r.rule === 'host-program')
      add(`step-${r.rule}`, 'warning', r.offset, message);
    else add(`step-${r.rule}`, 'error', r.offset, message);
  }
}

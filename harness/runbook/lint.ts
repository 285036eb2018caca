/**
 * Runbook lint, no cluster needed: what would make a step fail, hang or do nothing when a
 * machine (or a tired engineer at 3 a.m.) runs it as written. Every finding carries the
 * line to edit.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { classifyStep } from './classify.ts';
import { invocations } from './invocation.ts';
import { parseKubectl } from './kubectl.ts';
import { manifestRules } from './lint-manifest-rules.ts';
import { runbookNamespace, safetyFindings } from './lint-safety-rules.ts';
import {
  addOnDependencies,
  clientWithoutTimeout,
  curlWithoutTimeout,
  type Emit,
  fragileLookup,
  gnuOnly,
  neverEnds,
  referencedFiles,
  ttyFlags,
  unquotedGlob,
} from './lint-step-rules.ts';
import type { LintFinding } from './lint-types.ts';
import type { ManifestIndex } from './manifests.ts';
import { allSteps, lineAt, type Runbook, type Section, type Step } from './model.ts';
import { scanExpansions } from './shell.ts';

export type { LintFinding } from './lint-types.ts';

export interface LintOptions {
  /** The system's manifests; enables wrong-kind, missing-resource, selector and namespace checks. */
  readonly manifests?: ManifestIndex;
  /** Where referenced files (curl -w @file, kubectl apply -f path) may live. Default: the runbook's directory and the cwd. */
  readonly fileRoots?: readonly string[];
  readonly fileExists?: (path: string) => boolean;
}

/** Cluster-scoped kinds and verbs that need no namespace. */
// biome-ignore format: a dense table reads better than one entry per line
const CLUSTER_SCOPED = new Set([
  'node', 'namespace', 'persistentvolume', 'storageclass', 'clusterrole', 'clusterrolebinding',
  'customresourcedefinition', 'priorityclass',
]);
const NO_NAMESPACE_VERBS =
  /^(version|config|cluster-info|api-resources|api-versions|explain|apply|create$|auth|certificate|plugin|completion)/;

const FIX_WORDS =
  /\b(fix|resolve|repair|correct|address|remediate|update the (config|configuration)|roll ?back|apply the)\b/i;

function stepFindings(step: Step, options: LintOptions, fileRoots: readonly string[]): LintFinding[] {
  const out: LintFinding[] = [];
  const emit: Emit = (rule, severity, offset, message) =>
    out.push({ rule, severity, line: lineAt(step, offset), message, stepId: step.id });
  const exists = options.fileExists ?? existsSync;

  const invs = invocations(step.command);
  for (const [k, inv] of invs.entries()) {
    const call = parseKubectl(inv.words);
    const at = inv.words[0]!.start;
    neverEnds(inv, call, invs[k + 1], emit);
    ttyFlags(inv, call, emit);
    gnuOnly(inv, emit);
    fragileLookup(inv, call, emit);
    curlWithoutTimeout(inv, emit);
    clientWithoutTimeout(inv, call, emit);
    unquotedGlob(inv, emit);
    for (const f of referencedFiles(inv, call))
      if (!fileRoots.some((root) => exists(resolve(root, f.path))))
        emit(
          'missing-file',
          'warning',
          f.offset,
          `needs the file ${f.path}, which is neither in the runbook nor next to it`,
        );
    if (['aws', 'gcloud', 'az', 'doctl'].includes(inv.program) && !inv.nested)
      emit(
        'cloud-cli',
        'info',
        at,
        `\`${inv.program}\` depends on the cloud account; a drill cannot verify this step`,
      );
    if (!call) continue;
    addOnDependencies(call, options.manifests?.customKinds ?? new Set(), at, emit);
    if (options.manifests) manifestRules(call, step.comment, options.manifests, emit);
    const scoped = call.resources.length > 0 && call.resources.every((r) => CLUSTER_SCOPED.has(r.kind));
    const hasNs = call.flags.some((f) => f.name === 'namespace' || f.name === 'all-namespaces');
    if (!hasNs && !scoped && !NO_NAMESPACE_VERBS.test(call.verb))
      emit(
        'no-namespace',
        'warning',
        at,
        `\`kubectl ${call.verb}\` without -n runs in whatever namespace the current context points at`,
      );
  }
  return out;
}

function placeholderFindings(runbook: Runbook, step: Step): LintFinding[] {
  const out: LintFinding[] = [];
  for (const name of step.placeholders) {
    if (new RegExp(`(^|[^A-Za-z0-9_])\\$?\\{?${name}\\}?($|[^A-Za-z0-9_])`).test(runbook.prose)) continue;
    const use = scanExpansions(step.command).find((e) => e.name === name);
    out.push({
      rule: 'undefined-placeholder',
      severity: 'warning',
      line: lineAt(step, use?.offset ?? 0),
      message: `$${name} is never defined or explained in the runbook; say where its value comes from`,
      stepId: step.id,
    });
  }
  return out;
}

/**
 * A resolution that names a fix without giving it, has nothing but diagnostics, or is a case
 * (a sub-section of the resolution part, or one with symptoms) with no command at all.
 */
function resolutionFindings(section: Section, runbook: Runbook): LintFinding[] {
  if (section.kind !== 'resolution') return [];
  const hasChildren = runbook.sections.some((s) => s.parent === section.title && s.level > section.level);
  const isCase = !hasChildren && (section.parent !== undefined || section.symptoms !== undefined);
  if (section.steps.length === 0 && section.notes.length === 0 && !isCase) return [];
  const out: LintFinding[] = [];
  for (const note of section.notes)
    if (FIX_WORDS.test(note.text))
      out.push({
        rule: 'no-actionable-fix',
        severity: 'error',
        line: note.line,
        message: `"${note.text.split('\n')[0]}" names a fix but gives no command; write the command that fixes it`,
      });
  if (section.steps.length === 0 && out.length === 0)
    out.push({
      rule: 'no-actionable-fix',
      severity: 'error',
      line: section.line,
      message: `resolution case "${section.title}" has no command to run; write the steps that fix it`,
    });
  else if (!section.steps.some((s) => classifyStep(s, { hostMap: {} }).intent === 'remediation'))
    out.push({
      rule: 'no-actionable-fix',
      severity: 'error',
      line: section.line,
      message: `resolution "${section.title}" only looks; it has no step that changes anything`,
    });
  return out;
}

function structureFindings(runbook: Runbook): LintFinding[] {
  const out: LintFinding[] = [];
  const has = (kind: Section['kind']) => runbook.sections.some((s) => s.kind === kind);
  if (!runbook.sections.some((s) => s.kind === 'resolution' && s.steps.length))
    out.push({
      rule: 'missing-section',
      severity: 'error',
      line: 1,
      message: 'no resolution section with commands; the runbook cannot fix anything',
    });
  if (!has('verification'))
    out.push({
      rule: 'missing-section',
      severity: 'warning',
      line: 1,
      message: 'no verification section; nothing says how to confirm recovery',
    });
  if (!has('detection'))
    out.push({
      rule: 'missing-section',
      severity: 'warning',
      line: 1,
      message: 'no detection section; nothing says which alerts page for this outage',
    });
  return out;
}

const ORDER = { error: 0, warning: 1, info: 2 } as const;

/**
 * Lint a parsed runbook.
 *
 * @example
 * const findings = lintRunbook(parseRunbook(text, file), { manifests: await loadManifests('fixtures/k8s') });
 * const failing = findings.some((f) => f.severity === 'error');
 */
export function lintRunbook(runbook: Runbook, options: LintOptions = {}): LintFinding[] {
  const roots = options.fileRoots ?? [dirname(resolve(runbook.file)), process.cwd()];
  const findings: LintFinding[] = [
    ...runbook.warnings.map((w) => ({
      rule: 'parse',
      severity: 'info' as const,
      line: w.line,
      message: w.message,
    })),
    ...structureFindings(runbook),
    ...runbook.sections.flatMap((s) => resolutionFindings(s, runbook)),
  ];
  const namespace = runbookNamespace(runbook);
  for (const step of allSteps(runbook)) {
    findings.push(
      ...stepFindings(step, options, roots),
      ...placeholderFindings(runbook, step),
      ...safetyFindings(step, namespace),
    );
    if (step.sectionKind === 'investigation' && classifyStep(step, { hostMap: {} }).intent === 'remediation')
      findings.push({
        rule: 'mutating-investigation',
        severity: 'warning',
        line: step.line,
        message: 'investigation steps should only look; this one changes the system',
        stepId: step.id,
      });
  }
  return findings.sort(
    (a, b) => a.line - b.line || ORDER[a.severity] - ORDER[b.severity] || a.rule.localeCompare(b.rule),
  );
}

// `pnpm runbook lint <files...>` and `pnpm runbook show <file>`: check a runbook without a cluster.
//
// lint: findings with file:line; exit 1 when any finding is an error, 2 for bad input
//       (missing/unparsable runbook or manifests directory), 0 otherwise.
// show: how firedrill reads the runbook: sections, steps with their class, and what each
//       step becomes on the local platform (given a host map).
import { globSync } from 'node:fs';
import { Command } from 'commander';
import { UserError } from '../core/errors.ts';
import { classifyStep } from '../runbook/classify.ts';
import type { HostMap } from '../runbook/hostmap.ts';
import { type LintFinding, lintRunbook } from '../runbook/lint.ts';
import { loadRunbook } from '../runbook/load.ts';
import { loadManifests } from '../runbook/manifests.ts';
import { findResolution } from '../runbook/parse.ts';
import { translateCommand } from '../runbook/translate.ts';
import { resolveTarget } from './config-option.ts';
import { type FileFindings, FORMATTERS, LINT_FORMATS, type LintFormat } from './lint-formats.ts';
import { parseProgram, runCli } from './main.ts';

const out = (line: string) => process.stdout.write(`${line}\n`);

// Runbook files named on the command line; patterns such as `runbooks/*.md` expand, sorted.
function expandFiles(patterns: readonly string[]): string[] {
  const files: string[] = [];
  for (const p of patterns) {
    if (!/[*?[{]/.test(p)) {
      files.push(p);
      continue;
    }
    const matched = globSync(p).sort();
    if (matched.length === 0) throw new UserError(`no runbook matches ${p}`);
    files.push(...matched);
  }
  return [...new Set(files)];
}

interface LintOptions {
  manifests?: string;
  config?: string;
  json?: boolean;
  format: string;
}

/** With --config: the target's runbook when no file is named, and its kube manifests unless --manifests says. */
async function withTarget(patterns: readonly string[], opts: LintOptions) {
  if (!opts.config) {
    if (patterns.length === 0) throw new UserError('lint: name runbook files, or pass --config <file>');
    return { patterns, manifests: opts.manifests };
  }
  const target = await resolveTarget(opts.config);
  const manifests = target.kube && 'manifests' in target.kube ? target.kube.manifests : undefined;
  return {
    patterns: patterns.length ? patterns : [target.runbook],
    manifests: opts.manifests ?? manifests,
  };
}

async function lint(given: readonly string[], opts: LintOptions): Promise<number> {
  const { patterns, manifests: manifestDir } = await withTarget(given, opts);
  const format = (opts.json ? 'json' : opts.format) as LintFormat;
  if (!LINT_FORMATS.includes(format))
    throw new UserError(`--format ${opts.format}: expected one of ${LINT_FORMATS.join(', ')}`);
  // Everything is read before anything is printed: bad input is one line, not half a report.
  const manifests = manifestDir ? await loadManifests(manifestDir) : undefined;
  const results: FileFindings[] = [];
  for (const file of expandFiles(patterns)) {
    const { runbook } = await loadRunbook(file);
    results.push({ file, findings: lintRunbook(runbook, manifests ? { manifests } : {}) });
  }
  for (const line of FORMATTERS[format](results)) out(line);
  const all = results.flatMap((r) => r.findings);
  const count = (s: LintFinding['severity']) => all.filter((f) => f.severity === s).length;
  if (format === 'text')
    for (const { file, findings } of results) {
      const n = (s: LintFinding['severity']) => findings.filter((f) => f.severity === s).length;
      process.stderr.write(
        `${file}: ${n('error')} error(s), ${n('warning')} warning(s), ${n('info')} note(s)${manifests ? '' : ' (no --manifests: resource kinds not checked)'}\n`,
      );
    }
  return count('error') > 0 ? 1 : 0;
}

function parseHostMap(pairs: readonly string[]): HostMap {
  const map: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0)
      throw new UserError(
        `--host-map ${p}: expected FROM=TO, e.g. https://api.example.com=http://127.0.0.1:31080`,
      );
    map[p.slice(0, i)] = p.slice(i + 1);
  }
  return map;
}

async function show(
  file: string,
  opts: { section?: string; hostMap: string[]; json?: boolean },
): Promise<number> {
  const { runbook, sha256 } = await loadRunbook(file);
  const hostMap = parseHostMap(opts.hostMap);
  const sections = opts.section ? [findResolution(runbook, opts.section)] : runbook.sections;
  const view = sections.map((s) => ({
    title: s.title,
    kind: s.kind,
    line: s.line,
    ...(s.timeBox ? { timeBox: s.timeBox } : {}),
    ...(s.symptoms ? { symptoms: s.symptoms } : {}),
    steps: s.steps.map((st) => {
      const c = classifyStep(st, { hostMap });
      const t = translateCommand(st.command, { hostMap });
      return {
        id: st.id,
        line: st.line,
        command: st.command,
        class: c.kind,
        reason: c.reason,
        placeholders: st.placeholders,
        local: t.translatable
          ? t.target === 'platform'
            ? t.action
            : { http: t.http }
          : { notRunnable: t.reason },
      };
    }),
  }));
  if (opts.json) {
    out(
      JSON.stringify(
        {
          file,
          sha256,
          title: runbook.title,
          hostMap,
          sections: view,
          alerts: runbook.alerts,
          severities: runbook.severities,
          escalation: runbook.escalation,
          kpis: runbook.kpis,
          warnings: runbook.warnings,
        },
        null,
        2,
      ),
    );
    return 0;
  }
  out(`${runbook.title}  (${file}, sha256 ${sha256.slice(0, 12)})`);
  if (Object.keys(hostMap).length)
    out(
      `host map: ${Object.entries(hostMap)
        .map(([a, b]) => `${a} -> ${b}`)
        .join(', ')}`,
    );
  for (const s of view) {
    out(`\n[${s.kind}] ${s.title}  (line ${s.line})`);
    for (const st of s.steps) {
      const local =
        'notRunnable' in st.local
          ? `not runnable on local: ${st.local.notRunnable}`
          : JSON.stringify(st.local);
      out(`  ${st.line}: ${st.command.split('\n')[0]}`);
      out(`      ${st.class} (${st.reason}); local: ${local}`);
    }
  }
  for (const w of runbook.warnings) out(`${file}:${w.line}: warning ${w.message}`);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = new Command('runbook')
    .description('Check an incident runbook without a cluster')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program
    .command('lint [files...]')
    .description(
      'list findings with line numbers for each runbook (files or quoted globs); exit 1 when any is an error',
    )
    .option('--manifests <dir>', 'kustomize/manifest directory to check resource kinds and names against')
    .option(
      '--format <format>',
      `text, json, github (workflow annotations on the lines) or sarif (code scanning)`,
      'text',
    )
    .option('--json', 'same as --format json')
    .option(
      '--config <file>',
      "a system's config: lint its runbook (when no file is named) against its manifests",
    )
    .action(async (files: string[], opts: LintOptions) => {
      code = await lint(files, opts);
    });
  program
    .command('show <file>')
    .description('sections, steps, their class and their local translation')
    .option('--section <pattern>', 'only the resolution section matching this regular expression')
    .option(
      '--host-map <from=to>',
      'production origin -> drill endpoint (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option('--json', 'machine-readable output')
    .action(async (file: string, opts: { section?: string; hostMap: string[]; json?: boolean }) => {
      code = await show(file, opts);
    });
  return parseProgram(program, argv, () => code);
}

await runCli(() => main(process.argv.slice(2)), { name: 'runbook' });

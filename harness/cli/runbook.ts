// `pnpm runbook lint <file>` and `pnpm runbook show <file>`: check a runbook without a cluster.
//
// lint: findings with file:line; exit 1 when any finding is an error, 2 for bad input
//       (missing/unparsable runbook or manifests directory), 0 otherwise.
// show: how firedrill reads the runbook: sections, steps with their class, and what each
//       step becomes on the local platform (given a host map).
import { Command } from 'commander';
import { UserError } from '../core/errors.ts';
import { classifyStep } from '../runbook/classify.ts';
import type { HostMap } from '../runbook/hostmap.ts';
import { type LintFinding, lintRunbook } from '../runbook/lint.ts';
import { loadRunbook } from '../runbook/load.ts';
import { loadManifests } from '../runbook/manifests.ts';
import { findResolution } from '../runbook/parse.ts';
import { translateCommand } from '../runbook/translate.ts';
import { parseProgram, runCli } from './main.ts';

const out = (line: string) => process.stdout.write(`${line}\n`);

function formatFinding(file: string, f: LintFinding): string {
  return `${file}:${f.line}: ${f.severity} [${f.rule}] ${f.message}`;
}

async function lint(file: string, opts: { manifests?: string; json?: boolean }): Promise<number> {
  const { runbook } = await loadRunbook(file);
  const manifests = opts.manifests ? await loadManifests(opts.manifests) : undefined;
  const findings = lintRunbook(runbook, manifests ? { manifests } : {});
  const errors = findings.filter((f) => f.severity === 'error').length;
  if (opts.json) out(JSON.stringify({ file, findings }, null, 2));
  else {
    for (const f of findings) out(formatFinding(file, f));
    const count = (s: LintFinding['severity']) => findings.filter((f) => f.severity === s).length;
    process.stderr.write(
      `${file}: ${errors} error(s), ${count('warning')} warning(s), ${count('info')} note(s)${manifests ? '' : ' (no --manifests: resource kinds not checked)'}\n`,
    );
  }
  return errors > 0 ? 1 : 0;
}

function parseHostMap(pairs: readonly string[]): HostMap {
  const map: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0)
      throw new UserError(
        `--host-map ${p}: expected FROM=TO, e.g. https://api.agent-agency.com=http://127.0.0.1:31080`,
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
    .command('lint <file>')
    .description('list findings with line numbers; exit 1 when any is an error')
    .option('--manifests <dir>', 'kustomize/manifest directory to check resource kinds and names against')
    .option('--json', 'machine-readable findings')
    .action(async (file: string, opts: { manifests?: string; json?: boolean }) => {
      code = await lint(file, opts);
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

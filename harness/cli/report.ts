// `pnpm report [--since 90d] [--runbook path] [--out dir] [dir]`: the quarterly reliability
// review from a folder of run records (default reports/runs), written as quarterly.md and
// quarterly.html; --runbook reviews only the drills that verified that runbook file.
// `pnpm report --write-schema` regenerates harness/report/run-record.schema.json.
//
// Exit 0 with the written paths on stdout; 2 with one line on stderr for bad input (missing
// folder, no records in range, none of --runbook, bad --since). Invalid record files are
// skipped with a warning.
import { isAbsolute, join, relative } from 'node:path';
import { Command } from 'commander';
import { systemClock } from '../core/clock.ts';
import { UserError } from '../core/errors.ts';
import { unwritableReason } from '../core/writable.ts';
import { RECURRENCE_WINDOW_MS } from '../report/aggregate.ts';
import { writeFileAtomic } from '../report/atomic-write.ts';
import { fmtWall, plural } from '../report/format.ts';
import { writeRunRecordJsonSchema } from '../report/json-schema.ts';
import { aggregate, runbookCoverage } from '../report/quarterly.ts';
import { renderQuarterlyHtml } from '../report/quarterly-html.ts';
import { renderQuarterlyMarkdown } from '../report/quarterly-markdown.ts';
import type { RunRecord } from '../report/record.ts';
import { readEscalationContacts } from '../report/runbook-contacts.ts';
import { runbookMatcher } from '../report/runbook-filter.ts';
import { DEFAULT_RUNS_DIR, readRunRecords } from '../report/store.ts';
import { parseProgram, runCli } from './main.ts';

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** "90d", "12w", "36h", "30m" -> milliseconds. */
function parseSince(text: string): number {
  const m = /^(\d+)([mhdw])$/.exec(text.trim());
  if (!m || Number(m[1]) === 0)
    throw new UserError(`--since must be a positive duration such as 90d, 12w, 36h or 30m; got "${text}"`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

interface Options {
  since: string;
  out: string;
  runbook?: string;
  profile?: string;
  writeSchema?: boolean;
}

async function quarterly(dir: string, opts: Options): Promise<number> {
  const windowMs = parseSince(opts.since);
  const unwritable = unwritableReason(opts.out);
  if (unwritable) throw new UserError(`--out ${opts.out} is not writable: ${unwritable}`);
  const now = systemClock.now().wallMs;
  const sinceMs = now - windowMs;
  // Read 30 days further back: a failure early in the range can recur from one before it.
  const { records, invalid } = await readRunRecords(dir, { sinceMs: sinceMs - RECURRENCE_WINDOW_MS });
  for (const f of invalid)
    process.stderr.write(`warning: skipped invalid run record ${f.path}: ${f.reason}\n`);
  const inWindow = (r: RunRecord) => Date.parse(r.startedAt) >= sinceMs && Date.parse(r.startedAt) <= now;
  const inRange = records.filter(inWindow);
  if (inRange.length === 0)
    throw new UserError(
      `no run records in ${dir} since ${fmtWall(sinceMs)} (--since ${opts.since}; ${invalid.length} invalid file(s) skipped)`,
    );
  let selected = records;
  if (opts.runbook !== undefined) {
    // the runbook's own history too: its recurrence counts its failures, not another runbook's
    const matches = runbookMatcher(opts.runbook);
    selected = records.filter((r) => matches(r.runbook.file));
    if (!selected.some(inWindow)) {
      const there = runbookCoverage(inRange).map((c) => `${c.file} (${plural(c.runs, 'run')})`);
      throw new UserError(
        `--runbook ${opts.runbook}: no run records of that runbook in ${dir} since ${fmtWall(sinceMs)}; runbooks there: ${there.join(', ')}`,
      );
    }
  }
  // One alert profile per review: a fast drill's seconds and a production drill's minutes are not one distribution.
  const profileOf = (r: RunRecord) => r.alertProfile ?? 'fast';
  const counts = countBy(selected.filter(inWindow), profileOf);
  if (opts.profile !== undefined && opts.profile !== 'fast' && opts.profile !== 'production')
    throw new UserError(`--profile ${opts.profile}: expected fast or production`);
  const profile =
    opts.profile ?? [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0] ?? 'fast';
  if (!counts.has(profile))
    throw new UserError(
      `--profile ${profile}: no run records on that alert profile since ${fmtWall(sinceMs)}; profiles there: ${[...counts].map(([p, n]) => `${p} (${plural(n, 'run')})`).join(', ')}`,
    );
  const others = [...counts].filter(([p]) => p !== profile);
  const reviewed = selected.filter((r) => profileOf(r) === profile).map(withRepoPath);
  const contactsOf = await readEscalationContacts(reviewed.map((r) => r.runbook.file));
  const report = aggregate(reviewed, { now, sinceMs, contactsOf });
  const ctx = {
    source: dir,
    invalid,
    generatedAtMs: now,
    profile,
    otherProfiles: others.map(
      ([p, n]) => `${plural(n, 'run')} on the ${p} profile (pnpm report --profile ${p})`,
    ),
    ...(opts.runbook !== undefined ? { runbookFilter: opts.runbook } : {}),
  };
  const md = join(opts.out, 'quarterly.md');
  const html = join(opts.out, 'quarterly.html');
  await writeFileAtomic(md, renderQuarterlyMarkdown(report, ctx));
  await writeFileAtomic(html, renderQuarterlyHtml(report, ctx));
  process.stdout.write(`${md}\n${html}\n`);
  return 0;
}

const countBy = <T>(xs: readonly T[], key: (x: T) => string): Map<string, number> => {
  const m = new Map<string, number>();
  for (const x of xs) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return m;
};

/**
 * Runbook paths as a reviewer reads them: relative to the repository (the cwd) when the file is
 * in it or beside it (`../shared/...`); a path from another machine stays as recorded.
 */
function withRepoPath(r: RunRecord): RunRecord {
  if (!isAbsolute(r.runbook.file)) return r;
  const rel = relative(process.cwd(), r.runbook.file);
  if (rel.startsWith('../../') || isAbsolute(rel)) return r;
  return { ...r, runbook: { ...r.runbook, file: rel } };
}

async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = new Command('report')
    .description('Quarterly reliability review from a folder of run records')
    .argument('[dir]', 'folder of run records', DEFAULT_RUNS_DIR)
    .option('--since <duration>', 'review window ending now, e.g. 90d, 12w, 36h', '90d')
    .option('--out <dir>', 'where quarterly.md and quarterly.html are written', 'reports')
    .option('--runbook <path>', 'review only the drills that verified this runbook file')
    .option(
      '--profile <profile>',
      'alert profile to review, fast or production (default: the one with most runs)',
    )
    .option('--write-schema', 'regenerate harness/report/run-record.schema.json and exit')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .action(async (dir: string, opts: Options) => {
      if (opts.writeSchema) {
        process.stdout.write(`${await writeRunRecordJsonSchema()}\n`);
        return;
      }
      code = await quarterly(dir, opts);
    });
  return parseProgram(program, argv, () => code);
}

await runCli(() => main(process.argv.slice(2)), { name: 'report' });

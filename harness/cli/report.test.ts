import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_RECORD_SCHEMA_PATH, renderRunRecordJsonSchema } from '../report/json-schema.ts';
import { writeRunRecord } from '../report/store.ts';
import { syntheticHistory } from '../report/testing/synthetic-history.ts';

const CLI = fileURLToPath(new URL('./report.ts', import.meta.url));
const DAY = 86_400_000;
const OTHER_RUNBOOK = '/home/runner/work/ops/ops/runbooks/payments-outage.md';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}
const report = (...args: string[]): Promise<Result> =>
  new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
    });
  });

let root: string;
let runs: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'firedrill-report-cli-'));
  runs = join(root, 'runs');
  // A quarter of drills ending yesterday, so `--since 90d` from the real clock covers it.
  const history = syntheticHistory({ startMs: Date.now() - 86 * DAY, days: 85 });
  for (const r of history) await writeRunRecord(runs, r);
  await writeFile(join(runs, 'half-written.json'), '{"version": 1,');
  // A second runbook, verified by a few drills on another machine (CI checkout path).
  for (const r of syntheticHistory({ startMs: Date.now() - 20 * DAY, days: 10 }).slice(0, 4))
    await writeRunRecord(runs, {
      ...r,
      runId: `other-${r.runId}`,
      runbook: { ...r.runbook, file: OTHER_RUNBOOK },
    });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('pnpm report', () => {
  it('writes quarterly.md and quarterly.html, prints their paths, and names skipped files', async () => {
    const out = join(root, 'out');
    const r = await report('--since', '90d', '--out', out, runs);
    expect(r.stderr).toMatch(
      new RegExp(
        `^warning: skipped invalid run record ${join(runs, 'half-written.json')}: not JSON \\(.*\\)\n$`,
      ),
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${join(out, 'quarterly.md')}\n${join(out, 'quarterly.html')}\n`);
    const md = await readFile(join(out, 'quarterly.md'), 'utf8');
    expect(md).toMatch(/^# Reliability review: /);
    expect(md).toContain('| False-positive rate | < 5% |');
    expect(md).toContain('**1 file(s) skipped as invalid:**');
    // response times come from the drilled runbook's own contacts table, read from the file
    expect(md).toMatch(
      /\n\| L1 \| Platform on-call \| within 5 minutes \| `fixtures\/runbook\/agent-agency-outage\.md:\d+` \| [1-9]\d* \|/,
    );
    const html = await readFile(join(out, 'quarterly.html'), 'utf8');
    expect(html.match(/<svg /g)?.length).toBe(5);
  });

  it('--runbook reviews one runbook, names it in the header, and counts only its drills', async () => {
    expect((await report('--out', join(root, 'all'), runs)).code).toBe(0);
    const all = await readFile(join(root, 'all', 'quarterly.md'), 'utf8');
    expect(all).toContain(`\`${OTHER_RUNBOOK}\` (4 runs); \`pnpm report --runbook <path>\` reviews one.`);
    const total = Number(/^(\d+) run records/m.exec(all)?.[1]);

    // by a path relative to here, as a team would type it: matches the CI checkout's records
    const out = join(root, 'payments');
    const r = await report('--runbook', 'runbooks/payments-outage.md', '--out', out, runs);
    expect(r.code).toBe(0);
    const md = await readFile(join(out, 'quarterly.md'), 'utf8');
    expect(md).toMatch(/^4 run records from /m);
    expect(md).toContain(
      `Runbook reviewed (--runbook runbooks/payments-outage.md): \`${OTHER_RUNBOOK}\` (4 runs).`,
    );
    const html = await readFile(join(out, 'quarterly.html'), 'utf8');
    expect(html).toContain(`<code>${OTHER_RUNBOOK}</code> (4 runs)`);

    const fixture = await report('--runbook', 'fixtures/runbook/agent-agency-outage.md', '--out', out, runs);
    expect(fixture.code).toBe(0);
    const rest = await readFile(join(out, 'quarterly.md'), 'utf8');
    expect(Number(/^(\d+) run records/m.exec(rest)?.[1])).toBe(total - 4);
    expect(rest).not.toContain(OTHER_RUNBOOK);
  });

  it('--runbook of a runbook with no drills in range: one line naming the runbooks there, exit 2', async () => {
    const out = join(root, 'none');
    const r = await report('--runbook', 'runbooks/outage.md', '--out', out, runs);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('report:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^report: --runbook runbooks/outage.md: no run records of that runbook in ${runs} since .*; runbooks there: fixtures/runbook/agent-agency-outage.md \\(\\d+ runs\\), ${OTHER_RUNBOOK} \\(4 runs\\)$`,
      ),
    );
    await expect(readFile(join(out, 'quarterly.md'), 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('narrows the window with --since', async () => {
    const out = join(root, 'week');
    const r = await report('--since', '1w', '--out', out, runs);
    expect(r.code).toBe(0);
    const md = await readFile(join(out, 'quarterly.md'), 'utf8');
    const count = Number(/^(\d+) run records?/m.exec(md)?.[1]);
    expect(count).toBeGreaterThan(0);
    expect(count).toBeLessThan(30);
  });

  it('exits 2 with one line for a missing folder, a bad --since, or nothing in range', async () => {
    const missing = await report(join(root, 'nope'));
    expect(missing).toMatchObject({ code: 2, stdout: '' });
    expect(missing.stderr).toBe(`report: no such folder of run records: ${join(root, 'nope')}\n`);

    const bad = await report('--since', 'a quarter', runs);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      'report: --since must be a positive duration such as 90d, 12w, 36h or 30m; got "a quarter"\n',
    );

    const empty = await report('--since', '30m', '--out', join(root, 'empty'), runs);
    expect(empty.code).toBe(2);
    expect(empty.stderr.split('\n').filter((l) => l.startsWith('report:'))).toHaveLength(1);
    expect(empty.stderr).toMatch(
      /report: no run records in .* since .* \(--since 30m; 1 invalid file\(s\) skipped\)\n$/,
    );
  });

  it('every other bad input is one line too: a file for the folder, unwritable --out, a bare --since', async () => {
    const file = join(root, 'a-file');
    await writeFile(file, 'not a folder');
    const oneLine = async (args: string[], message: RegExp) => {
      const r = await report(...args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    };
    await oneLine([file], /^report: not a folder: .*a-file\n$/);
    // as root, access(W_OK) says yes to /proc: the kernel file system is refused by what it is
    await oneLine(
      ['--out', '/proc/firedrill-out', runs],
      /^report: --out \/proc\/firedrill-out is not writable: .*\/proc/,
    );
    await oneLine(
      ['--out', join(file, 'sub'), runs],
      /^report: --out .*a-file\/sub is not writable: .*a-file is a file, not a folder/,
    );
    await oneLine([runs, '--since'], /^error: option '--since <duration>' argument missing/);
  });

  it('skips a folder named *.json among the records, with a warning, like any invalid record', async () => {
    const dir = join(root, 'with-a-folder');
    for (const r of syntheticHistory({ startMs: Date.now() - 5 * DAY, days: 3 }))
      await writeRunRecord(dir, r);
    await mkdir(join(dir, 'x.json'));
    const r = await report('--out', join(root, 'with-a-folder-out'), dir);
    expect(r.stderr).toBe(`warning: skipped invalid run record ${join(dir, 'x.json')}: not a regular file\n`);
    expect(r.code).toBe(0);
  });

  it('regenerates the published JSON Schema with --write-schema', async () => {
    const r = await report('--write-schema');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${RUN_RECORD_SCHEMA_PATH}\n`);
    expect(await readFile(RUN_RECORD_SCHEMA_PATH, 'utf8')).toBe(renderRunRecordJsonSchema());
  });
});

describe('pnpm report never mixes alert profiles', () => {
  let dir: string;
  beforeAll(async () => {
    dir = join(root, 'profiles');
    const fast = syntheticHistory({ startMs: Date.now() - 30 * DAY, days: 20 });
    for (const r of fast) await writeRunRecord(dir, { ...r, alertProfile: 'fast' });
    // three production-profile drills, MTTD 2 min each: a distribution of its own
    for (const r of fast.filter((x) => !x.control && !x.counterfactual).slice(0, 3))
      await writeRunRecord(dir, {
        ...r,
        runId: `prod-${r.runId}`,
        alertProfile: 'production',
        metrics: { ...r.metrics, mttdMs: 120_000 },
      });
  });

  it('reviews the profile with most runs and names the runs it left out', async () => {
    const out = join(root, 'profiles-out');
    const r = await report('--out', out, dir);
    expect(r.code).toBe(0);
    const md = await readFile(join(out, 'quarterly.md'), 'utf8');
    expect(md).toMatch(
      /Alert profile: fast \(drill windows; judged on MTTD\/MTTR projected to the production windows\)\. Not mixed in: 3 runs on the production profile \(pnpm report --profile production\)\./,
    );
    expect(md).not.toContain('prod-');
  });

  it('--profile production reviews those runs only; a p95 of fewer than 5 runs is not shown', async () => {
    const out = join(root, 'profiles-prod');
    const r = await report('--profile', 'production', '--out', out, dir);
    expect(r.code).toBe(0);
    const md = await readFile(join(out, 'quarterly.md'), 'utf8');
    expect(md).toContain('Alert profile: production');
    expect(md).toMatch(/mean 2m 00s, p95 — \(n<5\) \(n=3\)/);
  });

  it('refuses an unknown profile, or one with no runs, in one line', async () => {
    expect(await report('--profile', 'slow', dir)).toMatchObject({
      code: 2,
      stderr: 'report: --profile slow: expected fast or production\n',
    });
    const fastOnly = join(root, 'fast-only');
    await writeRunRecord(fastOnly, syntheticHistory({ startMs: Date.now() - 2 * DAY, days: 1 })[0]!);
    const r = await report('--profile', 'production', fastOnly);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^report: --profile production: no run records on that alert profile since .*; profiles there: fast \(1 run\)\n$/,
    );
  });
});

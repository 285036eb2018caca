import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_RECORD_SCHEMA_PATH, renderRunRecordJsonSchema } from '../report/json-schema.ts';
import { writeRunRecord } from '../report/store.ts';
import { syntheticHistory } from '../report/testing/synthetic-history.ts';

const CLI = fileURLToPath(new URL('./report.ts', import.meta.url));
const DAY = 86_400_000;

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
    const html = await readFile(join(out, 'quarterly.html'), 'utf8');
    expect(html.match(/<svg /g)?.length).toBe(5);
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

  it('regenerates the published JSON Schema with --write-schema', async () => {
    const r = await report('--write-schema');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${RUN_RECORD_SCHEMA_PATH}\n`);
    expect(await readFile(RUN_RECORD_SCHEMA_PATH, 'utf8')).toBe(renderRunRecordJsonSchema());
  });
});

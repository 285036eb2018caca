/**
 * writeRunReports in a short-lived process of its own, for the scenario CLI: the renderers
 * (ECharts) add ~70 MB to a process's peak memory, and a drill process that never loads them
 * stays small (harness/cli/reports.ts spawns this file).
 * stdin: one JSON object {dir, records, generatedAtMs, basename}; stdout: the written paths
 * as JSON; a failure is one line on stderr and exit 2.
 */
import { writeFileSync } from 'node:fs';
import { text } from 'node:stream/consumers';
import { writeRunReports } from './publish.ts';
import type { RunRecord } from './record.ts';

export interface PublishRequest {
  readonly dir: string;
  readonly records: readonly RunRecord[];
  readonly generatedAtMs: number;
  readonly basename: string;
}

// pnpm bench counts this process as part of the harness (bench/drill-run.ts).
const usageFile = process.env['FIREDRILL_BENCH_REPORT_USAGE_FILE'];
if (usageFile)
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(
      usageFile,
      JSON.stringify({ userCpuUs: u.userCPUTime, systemCpuUs: u.systemCPUTime, maxRssKb: u.maxRSS }),
    );
  });

// Ctrl-C and a closed terminal reach the whole process group; the parent has restored the
// system and still wants its reports written, as it did when it rendered them itself.
for (const sig of ['SIGINT', 'SIGHUP', 'SIGTERM'] as const) process.on(sig, () => {});

try {
  const req = JSON.parse(await text(process.stdin)) as PublishRequest;
  const paths = await writeRunReports(req.dir, req.records, {
    generatedAtMs: req.generatedAtMs,
    basename: req.basename,
    onlyIfNewer: req.basename === 'latest',
  });
  process.stdout.write(JSON.stringify(paths));
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 2;
}

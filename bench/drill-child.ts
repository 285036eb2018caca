/**
 * `pnpm scenario` in a process of its own, for the drill benchmark: runs the scenario CLI
 * unchanged (same argv) and, as the process exits, writes its own resource usage (getrusage
 * of this process only: the system under test runs in separate processes and is not counted)
 * to $FIREDRILL_BENCH_USAGE_FILE.
 */
import { writeFileSync } from 'node:fs';
import type { ChildUsage } from './drill-run.ts';

const usageFile = process.env.FIREDRILL_BENCH_USAGE_FILE;
if (!usageFile) {
  process.stderr.write(
    'bench/drill-child.ts: FIREDRILL_BENCH_USAGE_FILE is not set (run it via pnpm bench)\n',
  );
  process.exit(2);
}

process.on('exit', () => {
  const u = process.resourceUsage();
  const usage: ChildUsage = {
    userCpuUs: u.userCPUTime,
    systemCpuUs: u.systemCPUTime,
    maxRssKb: u.maxRSS,
  };
  writeFileSync(usageFile, JSON.stringify(usage));
});

await import('../harness/cli/scenario.ts');

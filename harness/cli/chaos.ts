/**
 * `pnpm chaos cleanup`: after a crash or SIGKILL of the harness, replay every fault ledger
 * left on disk (newest first) so nothing the drill changed stays behind.
 * `pnpm chaos status`: show what is pending without changing anything.
 */
import { existsSync, readdirSync } from 'node:fs';
import { Command } from 'commander';
import { defaultLedgerDir, Ledger, replayLedgers } from '../core/ledger.ts';
import { EXIT, runCli } from './main.ts';

const program = new Command('pnpm chaos')
  .description('Safety tools for fault ledgers')
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT.error));

function pendingByRun(dir: string) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => ({
      runId: f.replace(/\.jsonl$/, ''),
      pending: Ledger.open(dir, f.replace(/\.jsonl$/, '')).pending(),
    }));
}

program
  .command('cleanup')
  .description('undo every change recorded in a ledger that was not reverted (after a crash or SIGKILL)')
  .option('--ledger-dir <dir>', 'ledger directory', defaultLedgerDir())
  .action(async (opts: { ledgerDir: string }) => {
    await runCli(async () => {
      const result = await replayLedgers(opts.ledgerDir, (line) => process.stdout.write(`${line}\n`));
      process.stdout.write(
        `cleanup: ${result.undone.length} change(s) undone, ${result.failed.length} failed (ledgers in ${opts.ledgerDir})\n`,
      );
      return result.failed.length ? EXIT.error : EXIT.ok;
    });
  });

program
  .command('status')
  .description('list changes recorded in ledgers and not yet reverted; changes nothing')
  .option('--ledger-dir <dir>', 'ledger directory', defaultLedgerDir())
  .action(async (opts: { ledgerDir: string }) => {
    await runCli(async () => {
      const runs = pendingByRun(opts.ledgerDir).filter((r) => r.pending.length);
      for (const r of runs) for (const e of r.pending) process.stdout.write(`${r.runId}: ${e.what}\n`);
      process.stdout.write(runs.length ? 'run `pnpm chaos cleanup` to undo these\n' : 'nothing pending\n');
      return EXIT.ok;
    });
  });

await program.parseAsync();

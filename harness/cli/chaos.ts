/**
 * `pnpm chaos cleanup`: after a crash or SIGKILL of the harness, replay every fault ledger
 * left on disk (newest first) so nothing the drill changed stays behind.
 * `pnpm chaos status`: show what is pending without changing anything.
 * A ledger whose drill still runs (its owner PID alive with the same start time), or that
 * another host wrote, is shown as such and replayed only with --force.
 */

import { join } from 'node:path';
import { Command } from 'commander';
import { defaultLedgerDir, ledgersIn, ownerLine, replayLedgers, stateRoot } from '../core/ledger.ts';
import { removeStaleLocalLocks } from '../platforms/local/lock.ts';
import { EXIT, runCli } from './main.ts';

const program = new Command('pnpm chaos')
  .description('Safety tools for fault ledgers')
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT.error));

program
  .command('cleanup')
  .description('undo every change recorded in a ledger that was not reverted (after a crash or SIGKILL)')
  .option('--ledger-dir <dir>', 'ledger directory', defaultLedgerDir())
  .option('--force', 'also undo the changes of drills that still run or that another host recorded')
  .action(async (opts: { ledgerDir: string; force?: boolean }) => {
    await runCli(async () => {
      const result = await replayLedgers(opts.ledgerDir, (line) => process.stdout.write(`${line}\n`), {
        force: opts.force ?? false,
      });
      // a killed drill's namespace lock: the next drill would take it over, but leave no trace
      for (const file of removeStaleLocalLocks(join(stateRoot(), 'locks')))
        process.stdout.write(`removed: lock ${file} of a drill no longer running\n`);
      const skipped = result.skipped.length ? `, ${result.skipped.length} running drill(s) left alone` : '';
      process.stdout.write(
        `cleanup: ${result.undone.length} change(s) undone, ${result.failed.length} failed${skipped} (ledgers in ${opts.ledgerDir})\n`,
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
      const runs = ledgersIn(opts.ledgerDir).filter((r) => r.pending.length);
      const leftover = (r: (typeof runs)[number]) => r.state === 'dead' || r.state === 'self';
      for (const r of runs) {
        const tag = leftover(r) || !r.owner ? 'pending' : ownerLine(r.owner, r.state);
        for (const e of r.pending) process.stdout.write(`${r.runId}: ${e.what} [${tag}]\n`);
      }
      const dead = runs.filter(leftover).length;
      process.stdout.write(
        !runs.length
          ? 'nothing pending\n'
          : dead
            ? 'run `pnpm chaos cleanup` to undo the pending ones\n'
            : 'only running drills: they restore themselves (`pnpm chaos cleanup --force` undoes them anyway)\n',
      );
      return EXIT.ok;
    });
  });

await program.parseAsync();

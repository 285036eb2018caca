/**
 * A harness stand-in for the leftover test: brings the stack up, starts a stressor, prints
 * (in <workload>) what it made as one JSON line, then waits to be SIGKILLed. Not a test itself.
 * Usage: node leftover-child.ts <stackFile> <ledgerDir> <runId> <stateDir> <workload>
 */
import { Ledger } from '../../core/ledger.ts';
import { createLocalPlatform } from './index.ts';
import type { LocalStack } from './stack.ts';

const [stackFile, ledgerDir, runId, stateDir, workload] = process.argv.slice(2);
if (!stackFile || !ledgerDir || !runId || !stateDir || !workload) {
  process.stderr.write('usage: leftover-child.ts <stackFile> <ledgerDir> <runId> <stateDir> <workload>\n');
  process.exit(2);
}
const ledger = Ledger.open(ledgerDir, runId);
const stack = (await createLocalPlatform({ stackFile, ledger }).up({ stateDir })) as LocalStack;
await stack.startStressor(workload, { cpuWorkers: 1, durationMs: 60_000 });
const endpoints = await Promise.all(stack.workloads().map((w) => stack.endpoint(w)));
const pids = stack.workloads().flatMap((w) => stack.workload(w).pods.map((p) => p.pid));
process.stdout.write(`${JSON.stringify({ endpoints, pids, metrics: await stack.metricsEndpoint() })}\n`);
setInterval(() => {}, 60_000);

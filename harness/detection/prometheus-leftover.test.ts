/**
 * Crash safety: a harness SIGKILLed while Prometheus runs leaves it behind (it runs in its own
 * process group), and replaying the ledger, as `pnpm chaos cleanup` does, removes it and its TSDB.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replayLedgers } from '../core/ledger.ts';
import { processEnded } from '../core/proc.ts';
import { prometheusInstalled } from './prometheus.ts';

const installed = prometheusInstalled();
const dir = mkdtempSync(join(tmpdir(), 'firedrill-promleft-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Not ended (a killed orphan may wait as a zombie for its reaper for a while). */
const alive = (pid: number): boolean => !processEnded(pid);

describe.skipIf(!installed)('prometheus after a harness crash', () => {
  it('is left running by a SIGKILLed harness and removed by replaying the ledger', async () => {
    const script = join(dir, 'harness.ts');
    const module = join(import.meta.dirname, 'prometheus.ts');
    writeFileSync(
      script,
      [
        `import { Ledger } from ${JSON.stringify(join(import.meta.dirname, '../core/ledger.ts'))};`,
        `import { silentLogger } from ${JSON.stringify(join(import.meta.dirname, '../core/log.ts'))};`,
        `import { startPrometheus } from ${JSON.stringify(module)};`,
        `const ledger = Ledger.open(${JSON.stringify(join(dir, 'ledger'))}, 'crashed');`,
        `const p = await startPrometheus({ targets: [], profile: 'fast', stateDir: ${JSON.stringify(dir)}, ledger, log: silentLogger });`,
        `process.stdout.write(String(p.pid) + '\\n');`,
        'setInterval(() => {}, 1000);',
      ].join('\n'),
    );
    const harness = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve, reject) => {
      harness.stdout.on('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      harness.once('exit', (code) => reject(new Error(`harness exited ${code} before starting Prometheus`)));
    });
    harness.kill('SIGKILL');
    await new Promise((r) => harness.once('exit', r));
    expect(alive(pid)).toBe(true);

    const result = await replayLedgers(join(dir, 'ledger'));
    expect(result.failed).toEqual([]);
    expect(result.undone.map((e) => e.what)).toEqual([
      `prometheus process ${pid}`,
      expect.stringMatching(/^prometheus TSDB /),
    ]);
    expect(alive(pid)).toBe(false);
    expect(existsSync(join(dir, 'prometheus', 'tsdb'))).toBe(false);
  }, 60_000);
});

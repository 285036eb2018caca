import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryLogger } from '../core/log.ts';
import { findK6, K6_MISSING, runK6Load } from './k6.ts';

const dir = mkdtempSync(join(tmpdir(), 'firedrill-k6-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const base = {
  baseUrl: 'http://127.0.0.1:9',
  token: 't',
  ratePerSecond: 5,
  durationMs: 1_000,
  stateDir: dir,
};

describe('k6 driver', () => {
  it('without k6 on PATH, says clearly that the built-in load generator is used', async () => {
    const log = memoryLogger();
    const outcome = await runK6Load({ ...base, pathEnv: '/nonexistent', log });
    expect(outcome).toEqual({ ran: false, reason: K6_MISSING });
    expect(log.lines).toContain('k6 not installed; using the built-in load generator');
  });

  // k6 itself cannot be installed here; a stand-in executable checks the command line the driver
  // builds and that it reads k6's --summary-export format.
  it('with a k6 on PATH, runs the drill script with the bounds and reads the summary', async () => {
    const bin = join(dir, 'bin');
    const argsFile = join(dir, 'args.txt');
    rmSync(bin, { recursive: true, force: true });
    mkdirSync(bin);
    const summary = {
      metrics: {
        http_reqs: { count: 42 },
        http_req_failed: { value: 0.1 },
        http_req_duration: { 'p(95)': 123 },
      },
    };
    writeFileSync(
      join(bin, 'k6'),
      `#!/bin/sh\nprintf '%s\\n' "$@" > ${argsFile}\nfor a in "$@"; do case "$a" in --summary-export=*) printf '%s' '${JSON.stringify(summary)}' > "\${a#--summary-export=}";; esac; done\n`,
    );
    chmodSync(join(bin, 'k6'), 0o755);
    expect(findK6(bin)).toBe(join(bin, 'k6'));
    const outcome = await runK6Load({ ...base, pathEnv: bin });
    expect(outcome).toEqual({ ran: true, exitCode: 0, requests: 42, failedRatio: 0.1, p95Ms: 123 });
    const args = readFileSync(argsFile, 'utf8').split('\n');
    expect(args).toEqual(
      expect.arrayContaining(['run', 'RATE=5', 'DURATION=1s', 'BASE_URL=http://127.0.0.1:9']),
    );
    expect(args.some((a) => a.endsWith('fixtures/monitoring/k6/drill-load.js'))).toBe(true);
  });

  it('refuses a non-loopback target before starting k6', async () => {
    await expect(
      runK6Load({ ...base, baseUrl: 'http://192.0.2.1', pathEnv: join(dir, 'bin') }),
    ).rejects.toThrow(/not loopback/);
  });
});

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const mainUrl = pathToFileURL(resolve(import.meta.dirname, 'main.ts')).href;

describe('runCli', () => {
  it('exits only once what it printed has gone down a pipe that is read late (pnpm scenario --all --json | jq)', () => {
    // 4 MB is far past a pipe's 64 KB buffer: node writes to a pipe asynchronously, and an exit
    // before those writes drain cut the output at 64 KB
    const bytes = 4 * 1024 * 1024;
    const cli = join(tmpdir(), `firedrill-big-output-${process.pid}.mjs`);
    writeFileSync(
      cli,
      `const { runCli } = await import(${JSON.stringify(mainUrl)});
await runCli(async () => { process.stdout.write('x'.repeat(${bytes})); return 0; });`,
    );
    const counted = execFileSync(
      'bash',
      ['-o', 'pipefail', '-c', `"${process.execPath}" "${cli}" | (sleep 0.3; wc -c)`],
      { encoding: 'utf8' },
    );
    expect(Number(counted.trim())).toBe(bytes);
  });
});

/**
 * Test support for the local platform: throwaway stacks of tiny inline Node services, a
 * per-test ledger, and polling with a deadline (state changes, not durations, are asserted).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ledger } from '../core/ledger.ts';
import { createLocalPlatform } from '../platforms/local/index.ts';
import type { Platform } from '../platforms/types.ts';

export interface Sandbox {
  readonly dir: string;
  readonly ledgerDir: string;
  readonly stateDir: string;
  readonly ledger: Ledger;
  /** Write a file into the sandbox; returns its path. */
  write(name: string, text: string): string;
  /** Remove the sandbox directory (after the stack is down). */
  cleanup(): void;
}

export function sandbox(prefix = 'firedrill-local-test-'): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const ledgerDir = join(dir, 'ledger');
  const stateDir = join(dir, 'state');
  mkdirSync(stateDir);
  const runId = `t${Math.random().toString(36).slice(2, 8)}`;
  return {
    dir,
    ledgerDir,
    stateDir,
    ledger: Ledger.open(ledgerDir, runId),
    write: (name, text) => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The project's Agent Agency stack on the local platform, ledgered in `box`, with a quick crash-loop back-off. */
export const agentAgencyPlatform = (box: Sandbox): Platform =>
  createLocalPlatform({
    stackFile: join(import.meta.dirname, '../../fixtures/agent-agency/local-stack.yaml'),
    ledger: box.ledger,
    backoff: { baseMs: 200, capMs: 2000 },
  });

/** A tiny HTTP service: answers its pod name; exits 1 at start when MODE=crash. */
export const WEB_SCRIPT = `
import http from 'node:http';
if (process.env.MODE === 'crash') {
  console.log('boom: MODE=crash is not a valid mode');
  process.exit(1);
}
const server = http.createServer((req, res) => res.end(process.env.POD_NAME));
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening on ' + process.env.PORT));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

/** Allocates memory until something stops it: an OOM kill under a memory limit. */
export const HOG_SCRIPT = `
console.log('allocating');
const keep = [];
setInterval(() => { for (let i = 0; i < 8; i++) keep.push(Buffer.alloc(1 << 20, 1)); }, 5);
`;

/** Poll `probe` until it returns a value that is not undefined/false, or fail after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (performance.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Driver for the k6 load script (fixtures/monitoring/k6/drill-load.js), for users who have k6.
 * k6 is not installable on the project's own machines, so the drill's default load generator is
 * the built-in one (load.ts); this driver only runs when a `k6` binary is on PATH and otherwise
 * says so.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Logger, silentLogger } from '../core/log.ts';
import { assertLoadTarget } from './load.ts';

export const K6_SCRIPT = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'fixtures',
  'monitoring',
  'k6',
  'drill-load.js',
);
export const K6_MISSING = 'k6 not installed; using the built-in load generator';

/** Path of an executable `k6` on PATH, or undefined. */
export function findK6(pathEnv: string = process.env.PATH ?? ''): string | undefined {
  for (const dir of pathEnv.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'k6');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

export interface K6Options {
  readonly baseUrl: string;
  readonly token: string;
  readonly ratePerSecond: number;
  readonly durationMs: number;
  /** Where k6's summary JSON is written. */
  readonly stateDir: string;
  readonly allowedHosts?: readonly string[];
  readonly pathEnv?: string;
  readonly log?: Logger;
}

export type K6Outcome =
  | { readonly ran: false; readonly reason: string }
  | {
      readonly ran: true;
      readonly exitCode: number | null;
      readonly requests?: number;
      readonly failedRatio?: number;
      readonly p95Ms?: number;
    };

/** Run the k6 script to completion (bounded by its duration plus a grace period). */
export async function runK6Load(opts: K6Options): Promise<K6Outcome> {
  const log = opts.log ?? silentLogger;
  const k6 = findK6(opts.pathEnv);
  if (!k6) {
    log.info(K6_MISSING);
    return { ran: false, reason: K6_MISSING };
  }
  assertLoadTarget(opts.baseUrl, opts.allowedHosts);
  mkdirSync(opts.stateDir, { recursive: true });
  const summaryFile = join(opts.stateDir, 'k6-summary.json');
  const args = [
    'run',
    '--quiet',
    `--summary-export=${summaryFile}`,
    ...['-e', `BASE_URL=${opts.baseUrl}`, '-e', `API_TOKEN=${opts.token}`],
    ...[
      '-e',
      `RATE=${Math.max(1, Math.round(opts.ratePerSecond))}`,
      '-e',
      `DURATION=${Math.ceil(opts.durationMs / 1000)}s`,
    ],
    K6_SCRIPT,
  ];
  const child = spawn(k6, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4_000);
  });
  const kill = setTimeout(() => child.kill('SIGKILL'), opts.durationMs + 30_000);
  const exitCode = await new Promise<number | null>((resolve) => {
    child.once('error', (err) => {
      stderr += err.message;
      resolve(null);
    });
    child.once('exit', (code) => resolve(code));
  });
  clearTimeout(kill);
  if (exitCode !== 0)
    log.warn('k6 run failed or thresholds crossed', { exitCode, stderr: stderr.trim().slice(-500) });
  try {
    const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as {
      metrics?: Record<string, Record<string, number>>;
    };
    const m = summary.metrics ?? {};
    return {
      ran: true,
      exitCode,
      ...(m.http_reqs?.count !== undefined ? { requests: m.http_reqs.count } : {}),
      ...(m.http_req_failed?.value !== undefined ? { failedRatio: m.http_req_failed.value } : {}),
      ...(m.http_req_duration?.['p(95)'] !== undefined ? { p95Ms: m.http_req_duration['p(95)'] } : {}),
    };
  } catch {
    return { ran: true, exitCode };
  }
}

/**
 * actionlint for the workflow tests: a Go program, built once through the Go module proxy into
 * ${FIREDRILL_CACHE:-~/.cache/firedrill}/tools (or taken from $ACTIONLINT).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const ACTIONLINT_VERSION = 'v1.7.12';
const cache = process.env['FIREDRILL_CACHE'] ?? join(homedir(), '.cache', 'firedrill');

export function actionlintBinary(): string {
  if (process.env['ACTIONLINT']) return process.env['ACTIONLINT'];
  const dir = join(cache, 'tools', `actionlint-${ACTIONLINT_VERSION}`);
  const bin = join(dir, 'actionlint');
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('go', ['install', `github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}`], {
    env: {
      ...process.env,
      GOBIN: dir,
      GOFLAGS: '-mod=mod',
      GOTOOLCHAIN: 'local',
      GOCACHE: join(cache, 'go', 'build'),
      GOMODCACHE: join(cache, 'go', 'mod'),
    },
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (r.error || r.status !== 0 || !existsSync(bin))
    throw new Error(
      `could not build actionlint ${ACTIONLINT_VERSION} with Go (needed to validate the workflow): ${r.error?.message ?? r.stderr}`,
    );
  return bin;
}

/**
 * `pnpm scenario` as a user runs it: a real child process, the real local platform. Restore is
 * checked against the machine (processes carrying the run's marker, cgroups, directories).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listenOnLoopback } from '../core/listen.ts';
import { cgroupsOfRuns, processesOfRuns, REPO, runCli, runIdsIn, runPnpm, tempStateDir } from './testing.ts';

const nothingLeft = (stateDir: string, runIds: string[]) => {
  expect(runIds.length).toBeGreaterThan(0);
  expect(processesOfRuns(runIds)).toEqual([]);
  expect(cgroupsOfRuns(runIds)).toEqual([]);
  const runsDir = join(stateDir, 'runs');
  expect(existsSync(runsDir) ? readdirSync(runsDir) : []).toEqual([]);
  const ledger = join(stateDir, 'ledger');
  expect(existsSync(ledger) ? readdirSync(ledger) : []).toEqual([]);
};

/** Run ids are only known from what the run left: capture them while it is alive. */
async function idsWhileRunning(stateDir: string): Promise<string[]> {
  // generous: on a loaded machine preflight and the first ledger write can take many seconds
  for (let i = 0; i < 1200; i++) {
    const ids = runIdsIn(stateDir);
    if (ids.length) return ids;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the drill never recorded a run');
}

describe('pnpm scenario (local platform, end to end)', { timeout: 180_000 }, () => {
  it('runs db-outage to a verdict, writes its reports, and leaves nothing behind', async () => {
    const state = tempStateDir();
    const reports = join(state, 'reports');
    const run = runCli('scenario.ts', ['db-outage', '--reports', reports, '--detection', 'probes'], {
      FIREDRILL_STATE_DIR: state,
    });
    const ids = await idsWhileRunning(state);
    const code = await run.exited;
    expect(run.stderr()).toMatch(
      /db-outage: resolved-by-runbook — PASS · runbook: \d+\/\d+ steps ok, \d+ findings?, \d+ unexpected alerts? · MTTD [\d.]+ s/,
    );
    expect(code).toBe(0);
    const [file] = readdirSync(join(reports, 'runs'));
    const record = JSON.parse(readFileSync(join(reports, 'runs', file!), 'utf8'));
    expect(record.outcome).toBe('resolved-by-runbook');
    expect(record.metrics.mttdMs).toBeGreaterThan(0);
    expect(record.metrics.mttrMs).toBeGreaterThanOrEqual(record.metrics.mttdMs);
    expect(record.restore).toMatchObject({ ok: true, errors: [] });
    for (const f of ['latest.md', 'latest.html', 'latest.junit.xml'])
      expect(existsSync(join(reports, f))).toBe(true);
    nothingLeft(state, ids);
  });

  it('a control run (no fault) against Prometheus detection sees zero alerts firing', async () => {
    const state = tempStateDir();
    const reports = join(state, 'reports');
    const run = runCli(
      'scenario.ts',
      ['db-outage', '--control', '--reports', reports, '--detection', 'auto'],
      {
        FIREDRILL_STATE_DIR: state,
      },
    );
    const ids = await idsWhileRunning(state);
    const code = await run.exited;
    const [file] = readdirSync(join(reports, 'runs'));
    const record = JSON.parse(readFileSync(join(reports, 'runs', file!), 'utf8'));
    // which alert fired, if one did (a false positive), before the exit code that follows from it
    expect(record.alertsFired, run.stderr().slice(-3000)).toEqual([]);
    expect(code, run.stderr().slice(-3000)).toBe(0);
    expect(record.control).toBe(true);
    expect(record.detectionSource).toBe(existsSync('/usr/bin/prometheus') ? 'prometheus' : 'probes');
    expect(record.timeline.find((e: { type: string }) => e.type === 'injected')).toMatchObject({
      fault: 'no fault',
    });
    expect(record.steps).toEqual([]); // nothing was remediated
    nothingLeft(state, ids);
  });

  // Interruptions (SIGINT, SIGTERM, SIGHUP, SIGKILL + chaos cleanup, EPIPE) of every scenario
  // are exercised, with a stronger machine check, in leftover-matrix.e2e.test.ts.

  it('SIGTERM to pnpm itself (CI timeouts, service managers) reaches the drill: restored, exit 143', async () => {
    // pnpm relays the signal to its script's process; a shell left between them as its parent
    // dies at once and the drill never hears it (why the package scripts exec node).
    const state = tempStateDir();
    const run = runPnpm(
      'scenario',
      ['db-outage', '--reports', join(state, 'reports'), '--detection', 'probes'],
      {
        FIREDRILL_STATE_DIR: state,
      },
    );
    const ids = await idsWhileRunning(state);
    await run.waitFor('detect: waiting for');
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(143);
    expect(run.stderr()).toContain('SIGTERM received: stopping the drill and restoring the system');
    expect(run.stderr()).toMatch(/db-outage: aborted .* restored +reason: interrupted \(SIGTERM\)/);
    nothingLeft(state, ids);
  });
});

describe('bad input: one line, exit 2, nothing changed', () => {
  const expectRefused = async (args: string[], message: RegExp, env: Record<string, string> = {}) => {
    const state = tempStateDir();
    const run = runCli('scenario.ts', args, { FIREDRILL_STATE_DIR: state, ...env });
    expect(await run.exited).toBe(2);
    const lines = run.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(readdirSync(state)).toEqual([]); // no ledger, no run dir: nothing was touched
  };

  it('unknown scenario names the available ones', () =>
    expectRefused(
      ['nope'],
      /^firedrill: error: unknown scenario "nope"; available: crash-loop, db-outage, llm-rate-limit, network-partition, resource-exhaustion/,
    ));

  it('invalid scenario file names the file and the field', async () => {
    const state = tempStateDir();
    const file = join(state, 'broken.ts');
    writeFileSync(
      file,
      `export default { name: 'broken', title: 't', severity: 'urgent', runbook: { section: 'x' }, fault: { kind: 'none' }, detection: { alerts: ['A'] } };`,
    );
    await expectRefused([file], new RegExp(`invalid scenario ${file}: severity: `));
  });

  it('a runbook without a resolution section', async () => {
    const state = tempStateDir();
    const file = join(state, 'notes.md');
    writeFileSync(file, '# Shopping list\n\n- milk\n- eggs\n');
    await expectRefused(
      ['db-outage', '--runbook', file],
      new RegExp(`runbook ${file}: no resolution section`),
    );
  });

  it('a runbook with no section matching the scenario', async () => {
    const state = tempStateDir();
    const file = join(state, 'other.md');
    writeFileSync(file, '# Runbook\n\n## Resolution\n\n### Scenario 1: Disk full\n\n```bash\ndf -h\n```\n');
    await expectRefused(['db-outage', '--runbook', file], /database/i);
  });

  it('a missing runbook file', () =>
    expectRefused(
      ['db-outage', '--runbook', '/nonexistent/runbook.md'],
      /runbook \/nonexistent\/runbook.md: cannot be read \(ENOENT\)/,
    ));

  it('a bad --repeat', () =>
    expectRefused(['db-outage', '--repeat', '0'], /--repeat: expected a positive integer/));

  /** Refused by the platform's preflight: not even the reports directory is made. */
  const expectRefusedAtPreflight = async (args: string[], message: RegExp, env: Record<string, string>) => {
    const reports = join(tempStateDir(), 'reports');
    await expectRefused([...args, '--reports', reports], message, env);
    expect(existsSync(reports)).toBe(false);
  };

  /** A PATH with the tools the harness uses, except `hidden`: as on a machine without that package. */
  const pathWithout = (...hidden: string[]) => {
    const dir = join(tempStateDir(), 'bin');
    mkdirSync(dir);
    const tools = [
      'sh',
      'bash',
      'unshare',
      'mount',
      'setpriv',
      'getent',
      'stress-ng',
      'redis-server',
      'kubectl',
    ];
    for (const tool of tools.filter((t) => !hidden.includes(t))) {
      const found = execFileSync('sh', ['-c', `command -v ${tool} || true`], { encoding: 'utf8' }).trim();
      if (found) symlinkSync(found, join(dir, tool));
    }
    return dir;
  };

  it('Postgres not installed', () =>
    expectRefusedAtPreflight(
      ['db-outage'],
      /^firedrill: error: preflight \(local\): postgres and initdb not found in \/nonexistent \(FIREDRILL_PG_BIN_DIR\): apt-get install postgresql$/,
      { FIREDRILL_PG_BIN_DIR: '/nonexistent' },
    ));

  it('Redis not installed', () =>
    expectRefusedAtPreflight(
      ['db-outage'],
      /^firedrill: error: preflight \(local\): redis-server not found on PATH: apt-get install redis-server$/,
      { PATH: pathWithout('redis-server') },
    ));

  it('Prometheus not installed, with --detection prometheus', () =>
    expectRefusedAtPreflight(
      ['db-outage', '--detection', 'prometheus'],
      /^firedrill: error: --detection prometheus: \/nonexistent\/prometheus not found; apt-get install prometheus/,
      { FIREDRILL_PROMETHEUS_BIN: '/nonexistent/prometheus' },
    ));

  /** A kubeconfig whose (allowed) context points at a port nothing listens on. */
  const unreachableKubeconfig = () => {
    const file = join(tempStateDir(), 'kubeconfig');
    writeFileSync(
      file,
      `apiVersion: v1
kind: Config
clusters: [{name: gone, cluster: {server: 'https://127.0.0.1:1', insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: kind-gone, context: {cluster: gone, user: u}}]
current-context: kind-gone
`,
    );
    return file;
  };

  it('--platform kube with an unreachable cluster', () =>
    expectRefusedAtPreflight(
      ['db-outage', '--platform', 'kube', '--kubeconfig', unreachableKubeconfig()],
      /^firedrill: error: preflight \(kube\): cluster unreachable at context kind-gone \(https:\/\/127\.0\.0\.1:1\)/,
      {},
    ));

  it('--platform kube without kubectl', () =>
    expectRefusedAtPreflight(
      ['db-outage', '--platform', 'kube', '--kubeconfig', unreachableKubeconfig()],
      /^firedrill: error: preflight \(kube\): .*kubectl not found on PATH/,
      { PATH: pathWithout('kubectl') },
    ));

  it('an unknown FIREDRILL_TEST_FAULTS value (the test hook cannot be switched on by a typo)', () =>
    expectRefusedAtPreflight(
      ['db-outage'],
      /^firedrill: error: FIREDRILL_TEST_FAULTS="remediate:crash": unknown test hook/,
      { FIREDRILL_TEST_FAULTS: 'remediate:crash' },
    ));

  it.each([
    [
      ['--prometheus-url', 'ftp://127.0.0.1:9090'],
      /^firedrill: error: --prometheus-url: "ftp:\/\/127\.0\.0\.1:9090" must be http/,
    ],
    [
      ['--prometheus-url', 'http://u:p@127.0.0.1:9090'],
      /^firedrill: error: --prometheus-url: credentials in the URL/,
    ],
    [
      ['--alertmanager-url', 'localhost:9093'],
      /^firedrill: error: --alertmanager-url: "localhost:9093" must be http/,
    ],
    [
      ['--alertmanager-url', 'http://127.0.0.1:9093'],
      /^firedrill: error: --alertmanager-url needs --prometheus-url/,
    ],
    [
      ['--prometheus-url', 'http://127.0.0.1:9090', '--detection', 'probes'],
      /^firedrill: error: --prometheus-url replaces --detection/,
    ],
    [
      ['--prometheus-url', 'http://127.0.0.1:9090', '--profile', 'fast'],
      /^firedrill: error: --prometheus-url replaces --profile/,
    ],
    [
      ['--prometheus-url', 'http://127.0.0.1:9090', '--page-receiver-port', '9095'],
      /^firedrill: error: --page-receiver-port needs --alertmanager-url$/,
    ],
    [
      ['--prometheus-url', 'http://127.0.0.1:9090', '--page-receiver-port', '70000'],
      /^firedrill: error: --page-receiver-port: expected a port number/,
    ],
  ])('existing monitoring flags %j', (flags, message) => expectRefused(['db-outage', ...flags], message));

  it('a --prometheus-url nothing answers at', async () => {
    const closed = createServer();
    const port = await listenOnLoopback(closed);
    await new Promise((r) => closed.close(r));
    await expectRefusedAtPreflight(
      ['db-outage', '--prometheus-url', `http://127.0.0.1:${port}`],
      new RegExp(
        `^firedrill: error: --prometheus-url: Prometheus at http://127\\.0\\.0\\.1:${port} is not ready \\(/-/ready: connect ECONNREFUSED`,
      ),
      {},
    );
  });

  it('a --reports under /proc (root may "write" there; the drill hung at its end)', () =>
    expectRefused(
      ['db-outage', '--reports', '/proc/firedrill-reports'],
      /^firedrill: error: reports directory \/proc\/firedrill-reports is not writable: .*\/proc.*; pass --reports <dir>$/,
    ));

  it('a --reports whose existing ancestor is a file', () => {
    const file = join(tempStateDir(), 'a-file');
    writeFileSync(file, '');
    return expectRefused(
      ['db-outage', '--reports', join(file, 'reports')],
      /^firedrill: error: reports directory .*a-file\/reports is not writable: .*a-file is a file, not a folder/,
    );
  });

  it.skipIf(process.getuid?.() !== 0)('a read-only reports directory', async () => {
    const ro = join(tempStateDir(), 'ro');
    mkdirSync(ro);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'firedrill-ro', ro]);
    try {
      await expectRefused(['db-outage', '--reports', ro], /reports directory .* is not writable/);
    } finally {
      execFileSync('umount', [ro]);
    }
  });
});

it('a --var the runbook has no placeholder for warns in one line and still runs', async () => {
  const run = runCli('scenario.ts', ['db-outage', '--dry-run', '--var', 'API_KYE=abc'], {
    FIREDRILL_STATE_DIR: tempStateDir(),
  });
  expect(await run.exited).toBe(0);
  expect(run.stderr()).toMatch(
    /^warning: --var API_KYE: runbook \S+\.md has no \$API_KYE placeholder; the value is unused\n$/,
  );
  expect(run.stdout()).toContain('dry run: nothing was changed');
  // one it uses: no warning
  const used = runCli('scenario.ts', ['db-outage', '--dry-run', '--var', 'API_KEY=abc'], {
    FIREDRILL_STATE_DIR: tempStateDir(),
  });
  expect(await used.exited).toBe(0);
  expect(used.stderr()).toBe('');
});

it('the repository ships its CLI entry points', () => {
  for (const f of ['scenario.ts', 'chaos.ts', 'report.ts', 'runbook.ts'])
    expect(existsSync(join(REPO, 'harness/cli', f))).toBe(true);
});

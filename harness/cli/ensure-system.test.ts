/**
 * scripts/ensure-system.sh, the system-package check in front of `pnpm scenario`: invocations
 * that only print (help, list, version, dry run) must not query or install system packages.
 * dpkg and apt-get are replaced on PATH by stubs that log their calls, and report every package
 * missing, so a check that ran would show in the log (and, as root, try to install).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, tempStateDir } from './testing.ts';

const SCRIPT = join(REPO, 'scripts/ensure-system.sh');

/** A PATH whose dpkg and apt-get log each call to `log` and answer with `dpkgExit` / failure. */
function stubbedPath(dpkgExit: number) {
  const dir = tempStateDir();
  const bin = join(dir, 'bin');
  const log = join(dir, 'calls.log');
  mkdirSync(bin);
  const stub = (name: string, exit: number) => {
    writeFileSync(join(bin, name), `#!/bin/sh\necho "${name} $*" >> '${log}'\nexit ${exit}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  stub('dpkg', dpkgExit);
  stub('apt-get', 1);
  return {
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []),
  };
}

const ALL_MISSING = 1;
const ALL_INSTALLED = 0;

/** Run `cmd` (the script, or pnpm) against the stubs. */
function withStubs(cmd: string, args: string[], dpkgExit: number) {
  const sys = stubbedPath(dpkgExit);
  const r = spawnSync(cmd, args, { cwd: REPO, env: sys.env, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls: sys.calls() };
}
const script = (args: string[], dpkgExit: number) => withStubs('bash', [SCRIPT, ...args], dpkgExit);

describe('ensure-system.sh', () => {
  it.each(['--help', '-h', '--list', '--version', '-V', '--dry-run'])(
    'skips the check for %s and runs the command with its arguments',
    (flag) => {
      const r = script(['drill', 'echo', 'ran', 'db-outage', flag], ALL_MISSING);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(`ran db-outage ${flag}\n`);
      expect(r.calls).toEqual([]);
    },
  );

  it.each([['--platform', 'kube'], ['--platform=kube']])(
    'skips the check for a kube drill (%s): its servers run in the cluster',
    (...flag) => {
      const r = script(['drill', 'echo', 'ran', 'db-outage', ...flag], ALL_MISSING);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(`ran db-outage ${flag.join(' ')}\n`);
      expect(r.calls).toEqual([]);
    },
  );

  it('still checks a local drill that names its platform, or a kube word that is not the platform', () => {
    for (const args of [['--platform', 'local'], ['kube']]) {
      const r = script(['drill', 'echo', 'ran', ...args], ALL_INSTALLED);
      expect(r.status).toBe(0);
      expect(r.calls).toContain('dpkg -s postgresql');
    }
  });

  it('checks every package of a drill, then runs the command', () => {
    const r = script(['drill', 'echo', 'ran', 'db-outage'], ALL_INSTALLED);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('ran db-outage\n');
    expect(r.calls).toEqual(expect.arrayContaining(['dpkg -s postgresql', 'dpkg -s redis-server']));
  });

  it('a --help after -- is an operand, not a request for help: the check runs', () => {
    const r = script(['drill', 'echo', '--', '--help'], ALL_INSTALLED);
    expect(r.status).toBe(0);
    expect(r.calls).toContain('dpkg -s postgresql');
  });

  it('without a command it only checks (pnpm test uses it so)', () => {
    const r = script(['test'], ALL_INSTALLED);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.calls).toContain('dpkg -s chromium');
  });

  it('a mode it does not know is refused in one line, exit 2, nothing run', () => {
    const r = script(['deploy', 'echo', 'ran'], ALL_INSTALLED);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('usage: ensure-system.sh drill|test [COMMAND...]\n');
    expect(r.calls).toEqual([]);
  });
});

describe('pnpm scenario (the package.json script line)', () => {
  const pnpmScenario = (args: string[], dpkgExit: number) =>
    withStubs('pnpm', ['scenario', ...args], dpkgExit);

  it('--help and --list need no system packages', () => {
    const help = pnpmScenario(['--help'], ALL_MISSING);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: pnpm scenario');
    expect(help.calls).toEqual([]);
    const list = pnpmScenario(['--list'], ALL_MISSING);
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(/^db-outage +critical/m);
    expect(list.calls).toEqual([]);
  });

  it('a drill still checks first, and does not start when packages cannot be installed', () => {
    const r = pnpmScenario(['db-outage', '--reports', join(tempStateDir(), 'reports')], ALL_MISSING);
    expect(r.status).not.toBe(0);
    expect(r.calls).toContain('dpkg -s postgresql');
    // as root the script tries to install (the stub apt-get fails); otherwise it names them
    expect(r.stderr).toMatch(/firedrill: (installing|missing) system packages: postgresql redis-server/);
    expect(r.stderr).not.toContain('preflight');
  });
});

// The kernel settings `up` changes and `down` puts back (lib.sh set_sysctl / restore_sysctls),
// run by real bash against a copy of /proc/sys in a temporary directory: the host's own
// settings are not touched.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const LIB = join(import.meta.dirname, 'lib.sh');
const dir = mkdtempSync(join(tmpdir(), 'firedrill-sysctl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const procSys = join(dir, 'proc-sys');
const saved = join(dir, 'sysctl.before');
const file = (key: string) => join(procSys, ...key.split('.'));
const value = (key: string) => readFileSync(file(key), 'utf8').trim();
const lib = (script: string) =>
  spawnSync('bash', ['-c', `source "${LIB}"; ${script}`], {
    env: { ...process.env, FIREDRILL_PROC_SYS: procSys, FIREDRILL_SYSCTL_SAVED: saved },
    encoding: 'utf8',
  });

describe('the kernel settings the self-built cluster changes', () => {
  it('go back to their values from before the first `up` when `down` runs', () => {
    for (const [key, v] of [
      ['net.ipv4.ip_forward', '0'],
      ['net.ipv4.conf.all.route_localnet', '0'],
      ['net.bridge.bridge-nf-call-iptables', '1'],
    ] as const) {
      mkdirSync(dirname(file(key)), { recursive: true });
      writeFileSync(file(key), `${v}\n`);
    }
    // up, twice (a second `up` on a running cluster): the values from before are kept once
    const up =
      'set_sysctl net.ipv4.ip_forward 1 && set_sysctl net.ipv4.conf.all.route_localnet 1 && set_sysctl net.bridge.bridge-nf-call-iptables 1';
    expect(lib(up).status).toBe(0);
    expect(lib(up).status).toBe(0);
    expect(value('net.ipv4.ip_forward')).toBe('1');
    expect(value('net.ipv4.conf.all.route_localnet')).toBe('1');
    expect(readFileSync(saved, 'utf8').trim().split('\n')).toEqual([
      'net.ipv4.ip_forward=0',
      'net.ipv4.conf.all.route_localnet=0',
      'net.bridge.bridge-nf-call-iptables=1',
    ]);
    // down
    const down = lib('restore_sysctls');
    expect(down.status).toBe(0);
    expect(down.stderr).toMatch(/kernel settings put back: net\.ipv4\.ip_forward=0 /);
    expect(value('net.ipv4.ip_forward')).toBe('0');
    expect(value('net.ipv4.conf.all.route_localnet')).toBe('0');
    expect(value('net.bridge.bridge-nf-call-iptables')).toBe('1');
    expect(existsSync(saved)).toBe(false);
    // a second down has nothing to put back
    expect(lib('restore_sysctls')).toMatchObject({ status: 0, stderr: '' });
  });

  it('a key the kernel does not have is not set and not saved', () => {
    rmSync(saved, { force: true });
    expect(lib('set_sysctl net.bridge.bridge-nf-call-ip6tables 1').status).toBe(1);
    expect(existsSync(saved)).toBe(false);
  });
});

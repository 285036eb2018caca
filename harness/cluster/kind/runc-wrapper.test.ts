// The runc wrapper the private dockerd runs kind's node with: real bash and jq, and a stand-in
// `runc` that records what it was handed (the real one would start a container).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const WRAPPER = join(import.meta.dirname, 'runc-wrapper.sh');
const dir = mkdtempSync(join(tmpdir(), 'firedrill-runc-wrapper-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// the stand-in records its arguments, then exits 7 so the test sees the wrapper exec it
writeFileSync(join(dir, 'runc'), `#!/bin/sh\nprintf '%s\\n' "$@" >"${dir}/args"\nexit 7\n`);
chmodSync(join(dir, 'runc'), 0o755);

const caps = ['CAP_CHOWN', 'CAP_SYS_ADMIN', 'CAP_SYS_RESOURCE', 'CAP_NET_ADMIN'];
const capSets = { bounding: caps, effective: caps, permitted: caps, inheritable: caps };
const wrapper = (args: string[]) => {
  const r = spawnSync('bash', [WRAPPER, ...args], {
    env: { ...process.env, PATH: `${dir}:${process.env['PATH']}` },
    encoding: 'utf8',
  });
  return { status: r.status, args: readFileSync(join(dir, 'args'), 'utf8').trim().split('\n') };
};
const json = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

describe('runc-wrapper.sh (privileged containers without CAP_SYS_RESOURCE in the bounding set)', () => {
  it('drops CAP_SYS_RESOURCE from every capability set of a container it creates, nothing else', () => {
    const bundle = mkdtempSync(join(dir, 'bundle-'));
    writeFileSync(join(bundle, 'config.json'), JSON.stringify({ process: { capabilities: capSets } }));
    const args = ['--root', '/run/x', 'create', '--bundle', bundle, '--pid-file', 'p', 'node'];
    const r = wrapper(args);
    expect(r.status).toBe(7);
    expect(r.args).toEqual(args);
    const want = ['CAP_CHOWN', 'CAP_SYS_ADMIN', 'CAP_NET_ADMIN'];
    expect(json(join(bundle, 'config.json')).process.capabilities).toEqual({
      bounding: want,
      effective: want,
      permitted: want,
      inheritable: want,
    });
  });

  it('drops it from the process spec of `runc exec --process FILE`', () => {
    const spec = join(dir, 'process.json');
    writeFileSync(spec, JSON.stringify({ args: ['sh'], capabilities: capSets }));
    expect(wrapper(['exec', '--process', spec, '--detach', 'node']).status).toBe(7);
    expect(json(spec).capabilities.bounding).toEqual(['CAP_CHOWN', 'CAP_SYS_ADMIN', 'CAP_NET_ADMIN']);
    expect(json(spec).args).toEqual(['sh']);
  });

  it('passes other commands through untouched', () => {
    const r = wrapper(['--root', '/run/x', 'state', 'node']);
    expect(r.status).toBe(7);
    expect(r.args).toEqual(['--root', '/run/x', 'state', 'node']);
  });
});

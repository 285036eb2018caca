/**
 * `pnpm scenario --platform kube --dry-run` runs the cluster guard with no network: a kind-named
 * context whose API server is elsewhere is refused in one line (exit 2), and a local one is
 * named in the plan. No cluster is needed: nothing may be contacted either way.
 */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempStateDir } from './testing.ts';

let connections = 0;
const server = createServer((_req, res) => res.end('{}'));
server.on('connection', () => connections++);
let port = 0;

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function kubeconfig(dir: string, context: string, url: string): string {
  const file = join(dir, `${context}.yaml`);
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
current-context: ${context}
clusters: [{ name: c, cluster: { server: "${url}", insecure-skip-tls-verify: true } }]
users: [{ name: u, user: { token: not-a-real-token } }]
contexts: [{ name: ${context}, context: { cluster: c, user: u } }]
`,
  );
  return file;
}

const dryRun = (state: string, file: string, ...extra: string[]) =>
  runCli('scenario.ts', ['db-outage', '--platform', 'kube', '--dry-run', '--kubeconfig', file, ...extra], {
    FIREDRILL_STATE_DIR: state,
  });

describe('pnpm scenario --platform kube --dry-run: the guard without the network', {
  timeout: 60_000,
}, () => {
  it('refuses a kind-prod context on a remote server: exit 2, one line, nothing on stdout', async () => {
    const state = tempStateDir();
    const run = dryRun(state, kubeconfig(state, 'kind-prod', 'https://x.invalid:6443'));
    expect(await run.exited).toBe(2);
    const lines = run.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(
      "refusing context 'kind-prod': its API server https://x.invalid:6443 is not on this machine; pass --allow-context 'kind-prod' --allow-server 'https://x.invalid:6443'",
    );
    expect(run.stdout()).toBe('');
  });

  it('refuses --allow-context alone, and plans with both flags, contacting nothing', async () => {
    const state = tempStateDir();
    const file = kubeconfig(state, 'kind-prod', 'https://x.invalid:6443');
    const half = dryRun(state, file, '--allow-context', 'kind-prod');
    expect(await half.exited).toBe(2);
    expect(half.stderr()).toMatch(/is not on this machine/);
    const both = dryRun(state, file, '--allow-context', 'kind-prod', '--allow-server', 'x.invalid');
    expect(await both.exited).toBe(0);
    expect(both.stdout()).toMatch(
      /^kube: context kind-prod, API server https:\/\/x\.invalid:6443 \(allowed; nothing contacted\)$/m,
    );
  });

  it('plans a local kind context and sends its server nothing', async () => {
    const state = tempStateDir();
    const run = dryRun(state, kubeconfig(state, 'kind-x', `http://127.0.0.1:${port}`));
    expect(await run.exited).toBe(0);
    expect(run.stdout()).toContain(`kube: context kind-x, API server http://127.0.0.1:${port}`);
    expect(run.stdout()).toContain('dry run: nothing was changed');
    expect(connections).toBe(0);
  });
});

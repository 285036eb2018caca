/**
 * The safety guard, with no cluster: the "API server" is a local HTTP server that records every
 * request it gets. A context named like production must produce zero requests, from the library
 * and from the CLI; an allowed context pointing at the same server shows the recorder works.
 */
import { spawnSync } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../core/errors.ts';
import { Ledger } from '../../core/ledger.ts';
import { KubeApi } from './api.ts';
import { contextAllowed, DEFAULT_ALLOWED_CONTEXTS, guardPolicy, loadTarget } from './guard.ts';
import { createKubePlatform } from './index.ts';

const repoRoot = resolve(import.meta.dirname, '..', '..', '..');

let server: Server;
let url = '';
const requests: { method: string; url: string }[] = [];
let connections = 0;
let namespaceLabels: Record<string, string> = {};
let dir = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push({ method: req.method ?? '?', url: req.url ?? '' });
    res.setHeader('content-type', 'application/json');
    if (req.url?.startsWith('/version'))
      return res.end(JSON.stringify({ major: '1', minor: '34', gitVersion: 'v1.34.4' }));
    if (req.url?.split('?')[0] === '/api/v1/namespaces/agent-agency')
      return res.end(
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: 'agent-agency', labels: namespaceLabels },
        }),
      );
    res.statusCode = 404;
    res.end(JSON.stringify({ kind: 'Status', code: 404, message: 'not here' }));
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = mkdtempSync(join(tmpdir(), 'firedrill-guard-'));
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  requests.length = 0;
  connections = 0;
  namespaceLabels = {};
});

function kubeconfig(context: string, server = url): string {
  const file = join(dir, `${context}-${Math.random().toString(16).slice(2)}.yaml`);
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
current-context: ${context}
clusters:
  - name: c
    cluster: { server: "${server}", insecure-skip-tls-verify: true }
users:
  - name: u
    user: { token: not-a-real-token }
contexts:
  - name: ${context}
    context: { cluster: c, user: u, namespace: agent-agency }
`,
  );
  return file;
}

const ledger = () => Ledger.open(join(dir, 'ledger'), `guard-${Math.random().toString(16).slice(2)}`);

describe('kube safety guard', () => {
  it('allows kind-* and firedrill-local by default, nothing else', () => {
    expect(contextAllowed('kind-firedrill', DEFAULT_ALLOWED_CONTEXTS)).toBe(true);
    expect(contextAllowed('firedrill-local', DEFAULT_ALLOWED_CONTEXTS)).toBe(true);
    for (const c of [
      'prod-us-east-1',
      'kind',
      'prod-kind-x',
      'xkind-a',
      'firedrill-local-prod',
      'arn:aws:eks:kind-',
    ])
      expect(contextAllowed(c, DEFAULT_ALLOWED_CONTEXTS), c).toBe(false);
  });

  it('refuses a production-looking context with one line, before any request', () => {
    const file = kubeconfig('prod-us-east-1');
    let error: unknown;
    try {
      createKubePlatform({ kubeconfig: file, ledger: ledger() });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UserError);
    const message = (error as Error).message;
    expect(message).toBe(
      "refusing context 'prod-us-east-1': not in the allow-list kind-*, firedrill-local; " +
        "pass --allow-context 'prod-us-east-1' to drill it anyway (firedrill injects real faults)",
    );
    expect(() =>
      KubeApi.connectGuarded(loadTarget({ kubeconfig: file }), guardPolicy(), 'agent-agency'),
    ).toThrow(UserError);
    expect(requests).toEqual([]);
  });

  it('refuses it from the CLI too: exit 2, one line, zero requests, nothing in the ledger', () => {
    const file = kubeconfig('prod-us-east-1');
    const state = join(dir, 'cli-state');
    const r = spawnSync(
      process.execPath,
      ['harness/cli/scenario.ts', 'db-outage', '--platform', 'kube', '--kubeconfig', file],
      {
        cwd: repoRoot,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, FIREDRILL_STATE_DIR: state },
      },
    );
    expect(r.status).toBe(2);
    const lines = r.stderr
      .trim()
      .split('\n')
      .filter((l) => !/^\s*$/.test(l));
    expect(lines.some((l) => l.includes("refusing context 'prod-us-east-1'"))).toBe(true);
    expect(lines.filter((l) => l.includes('refusing'))).toHaveLength(1);
    expect(requests).toEqual([]);
    let ledgerFiles: string[] = [];
    try {
      ledgerFiles = readdirSync(join(state, 'ledger'));
    } catch {}
    expect(ledgerFiles).toEqual([]);
  });

  it('reaches the server once a context is allowed (the recorder sees requests)', async () => {
    const file = kubeconfig('prod-us-east-1');
    namespaceLabels = { 'firedrill.dev/drill-target': 'true' };
    const platform = createKubePlatform({ kubeconfig: file, allowContexts: ['prod-*'], ledger: ledger() });
    const pre = await platform.preflight();
    expect(requests.map((r) => `${r.method} ${r.url.split('?')[0]}`)).toEqual([
      'GET /version',
      'GET /api/v1/namespaces/agent-agency',
      'GET /api/v1/namespaces/agent-agency/configmaps/firedrill-drill-lock',
    ]);
    expect(pre.problems.filter((p) => !p.startsWith('kubectl not found'))).toEqual([]);
  });

  it('does not touch a namespace without the drill-target label: preflight says so, up() writes nothing', async () => {
    const file = kubeconfig('kind-guard');
    namespaceLabels = { team: 'payments' };
    const platform = createKubePlatform({ kubeconfig: file, manifests: false, ledger: ledger() });
    const pre = await platform.preflight();
    expect(pre.ok).toBe(false);
    expect(pre.problems.join('\n')).toContain(
      'namespace agent-agency is not labelled firedrill.dev/drill-target=true',
    );
    await expect(platform.up({ stateDir: join(dir, 'run') })).rejects.toThrow(
      /not labelled firedrill.dev\/drill-target/,
    );
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });
});

describe('kube safety guard: the server', () => {
  const platform = (file: string, extra: { allowContexts?: string[]; allowServers?: string[] } = {}) =>
    createKubePlatform({ kubeconfig: file, ledger: ledger(), ...extra });
  const refusedWith = (fn: () => unknown): string => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(UserError);
      return (err as Error).message;
    }
    throw new Error('not refused');
  };

  it('refuses kind-prod on an unresolvable remote server in one line, and the same without --allow-server', () => {
    const file = kubeconfig('kind-prod', 'https://x.invalid:6443');
    expect(refusedWith(() => platform(file))).toBe(
      "refusing context 'kind-prod': its API server https://x.invalid:6443 is not on this machine; " +
        "pass --allow-context 'kind-prod' --allow-server 'https://x.invalid:6443' to drill it anyway",
    );
    expect(refusedWith(() => platform(file, { allowContexts: ['kind-prod'] }))).toMatch(
      /is not on this machine/,
    );
    expect(refusedWith(() => platform(file, { allowServers: ['x.invalid'] }))).toMatch(
      /is not on this machine/,
    );
    expect(() =>
      platform(file, { allowContexts: ['kind-prod'], allowServers: ['x.invalid:6443'] }),
    ).not.toThrow();
  });

  it('allows kind-x and firedrill-local on 127.0.0.1 without a request', () => {
    expect(() => platform(kubeconfig('kind-x'))).not.toThrow();
    expect(() => platform(kubeconfig('firedrill-local'))).not.toThrow();
    expect(connections).toBe(0);
  });

  it('sends nothing to a refused server, even one whose name leads to a live API server here', async (ctx) => {
    // The machine's own name resolves to loopback (checked here, by the test): a guard that
    // resolved names, or tried the server, would reach the counting server.
    const name = hostname();
    const resolved = await lookup(name).catch(() => undefined);
    if (!resolved?.address.startsWith('127.')) {
      console.warn(
        `SKIPPED: ${name} does not resolve to loopback here, so it cannot stand for a live server`,
      );
      return ctx.skip();
    }
    const port = new URL(url).port;
    const named = kubeconfig('kind-prod', `http://${name}:${port}`);
    namespaceLabels = { 'firedrill.dev/drill-target': 'true' };
    expect(refusedWith(() => platform(named))).toMatch(/is not on this machine/);
    expect(() =>
      KubeApi.connectGuarded(loadTarget({ kubeconfig: named }), guardPolicy(), 'agent-agency'),
    ).toThrow(/is not on this machine/);
    await new Promise((r) => setTimeout(r, 200));
    expect(connections).toBe(0);
    // The control: opted in by name and server, the same file reaches the same server.
    await platform(named, { allowContexts: ['kind-prod'], allowServers: [name] }).preflight();
    expect(connections).toBeGreaterThan(0);
  });
});

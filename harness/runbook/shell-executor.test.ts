/**
 * The kube executor with real bash, real curl against a real HTTP server on 127.0.0.1, and
 * a fake `kubectl` script first on PATH (no cluster needed) that follows logs forever and
 * leaves a background child, to prove a timeout kills the whole process group.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger, undo } from '../core/ledger.ts';
import { processEnded } from '../core/proc.ts';
import { executeSteps } from './execute.ts';
import { allSteps } from './model.ts';
import { parseRunbook } from './parse.ts';
import { shellExecutor, stripTtyFlags } from './shell-executor.ts';

const FAKE_KUBECTL = `#!/usr/bin/env bash
printf 'kubectl %s\\n' "$*"
printf 'KUBECONFIG=%s\\n' "$KUBECONFIG"
if [ -t 0 ] || [ -t 1 ]; then echo "has a terminal"; fi
case " $* " in
  *" logs -f "*)
    sleep 300 &
    echo "$!" > "$FAKE_CHILD_PID"
    while true; do echo tick; sleep 0.1; done ;;
esac
exit "\${FAKE_EXIT:-0}"
`;

let dir: string;
let server: Server;
let origin: string;
const requests: { url: string; auth: string | undefined }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'firedrill-shell-'));
  // Steps run as nobody when the test runs as root: they must reach the fake kubectl and write its pid file.
  chmodSync(dir, 0o777);
  writeFileSync(join(dir, 'kubeconfig'), 'apiVersion: v1\nkind: Config\n');
  writeFileSync(join(dir, 'kubectl'), FAKE_KUBECTL);
  chmodSync(join(dir, 'kubectl'), 0o755);
  server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', auth: req.headers.authorization });
    res.statusCode = req.url === '/down' ? 503 : 200;
    res.end(`saw ${req.headers.authorization ?? 'no auth'}\n`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

const runbook = (body: string) =>
  parseRunbook(`# T\n\n## Investigation\n\n### Look\n\n\`\`\`bash\n${body}\n\`\`\`\n`, 't.md');
const executor = (env: Record<string, string> = {}) =>
  shellExecutor({
    kubeconfig: join(dir, 'kubeconfig'),
    path: `${dir}:${process.env['PATH']}`,
    env: { FAKE_CHILD_PID: join(dir, 'child.pid'), ...env },
    killGraceMs: 200,
  });

describe('shellExecutor', () => {
  it('kills the whole process group of a step that never ends', async () => {
    const rb = runbook('kubectl logs -f deployment/agent-agency-orchestrator -n agent-agency | cat');
    const [result] = await executeSteps(allSteps(rb), { executor: executor(), hostMap: {}, timeoutMs: 700 });
    expect(result!.status).toBe('timed-out');
    expect(result!.error).toMatch(/no end after 700 ms; process group killed/);
    expect(result!.output).toContain('tick');
    const child = Number(readFileSync(join(dir, 'child.pid'), 'utf8'));
    expect(child).toBeGreaterThan(0);
    // The kill is synchronous with the result; allow the kernel a bounded moment to tear down.
    for (let i = 0; i < 50 && !processEnded(child); i++) await new Promise((r) => setTimeout(r, 20));
    expect(processEnded(child)).toBe(true);
  });

  it('ledgers each step process group while it runs: cleanup can end one a killed harness left', async () => {
    rmSync(join(dir, 'child.pid'), { force: true });
    const ledger = Ledger.open(join(dir, 'ledger'), 'step-run');
    const rb = runbook('kubectl logs -f deployment/agent-agency-orchestrator -n agent-agency | cat');
    const exec = shellExecutor({
      path: `${dir}:${process.env['PATH']}`,
      env: { FAKE_CHILD_PID: join(dir, 'child.pid') },
      ledger,
    });
    const running = executeSteps(allSteps(rb), { executor: exec, hostMap: {}, timeoutMs: 60_000 });
    for (let i = 0; i < 250 && !existsSync(join(dir, 'child.pid')); i++)
      await new Promise((r) => setTimeout(r, 20));
    const child = Number(readFileSync(join(dir, 'child.pid'), 'utf8'));
    const [home, entry] = ledger.pending();
    // the step's home (with its kubeconfig copy) first, then its process group
    expect(home?.undo).toMatchObject({ type: 'remove-dir', path: expect.stringMatching(/firedrill-step-/) });
    expect(entry?.undo).toMatchObject({ type: 'kill-process', processGroup: true });
    // What `pnpm chaos cleanup` does with it, had the harness been killed here.
    await undo(entry!.undo);
    expect(processEnded(child)).toBe(true); // the undo returns once the whole group has ended
    const [result] = await running;
    expect(result!.status).toBe('failed');
    expect(ledger.pending()).toEqual([]); // settled when the step ended
  });

  it('runs without a terminal and drops TTY flags, saying so', async () => {
    const rb = runbook('kubectl exec -it deployment/agent-agency-orchestrator -n agent-agency -- ps aux');
    const [result] = await executeSteps(allSteps(rb), { executor: executor(), hostMap: {} });
    expect(result!.status).toBe('passed');
    expect(result!.output).toContain(
      'kubectl exec -i deployment/agent-agency-orchestrator -n agent-agency -- ps aux',
    );
    expect(result!.output).not.toContain('has a terminal');
    // The step's own copy of the pinned kubeconfig, in its temporary HOME.
    expect(result!.output).toMatch(/KUBECONFIG=\/\S+\/firedrill-step-\w+\/\.kubeconfig/);
    expect(result!.translatedTo).toMatch(/TTY flag -it removed/);
  });

  it('fills placeholders from the drill variables and sends production URLs to the drill', async () => {
    const rb = runbook(
      'curl -fsS --max-time 5 -H "Authorization: Bearer $API_KEY" https://api.agent-agency.com/v1/status',
    );
    const [result] = await executeSteps(allSteps(rb), {
      executor: executor(),
      hostMap: { 'https://api.agent-agency.com': origin },
      variables: { API_KEY: 'drill-token' },
    });
    expect(result).toMatchObject({ status: 'passed', exitCode: 0, execution: 'shell' });
    expect(result!.output).toBe('saw Bearer drill-token\n');
    expect(result!.translatedTo).toContain(`https://api.agent-agency.com/v1/status -> ${origin}/v1/status`);
  });

  it('fails a step with a missing placeholder without running it', async () => {
    const before = requests.length;
    const rb = runbook(
      'curl -fsS --max-time 5 -H "Authorization: Bearer $API_KEY" https://api.agent-agency.com/v1/status',
    );
    const [result] = await executeSteps(allSteps(rb), {
      executor: executor(),
      hostMap: { 'https://api.agent-agency.com': origin },
    });
    expect(result).toMatchObject({ status: 'failed', execution: 'none', exitCode: null });
    expect(result!.error).toMatch(/placeholder \$API_KEY has no value/);
    expect(requests.length).toBe(before);
  });

  it('reports exit status and the last output line of a failing step', async () => {
    const rb = runbook('curl -fsS --max-time 5 https://api.agent-agency.com/down');
    const [result] = await executeSteps(allSteps(rb), {
      executor: executor(),
      hostMap: { 'https://api.agent-agency.com': origin },
    });
    expect(result).toMatchObject({ status: 'failed', exitCode: 22 });
    expect(result!.error).toMatch(/^exit 22: curl: \(22\) The requested URL returned error: 503/);
  });

  it('carries variables a step assigns into later steps, as one shell session would', async () => {
    const rb = runbook('POD=$(echo agent-agency-orchestrator-7f9c)\necho "pod is $POD"');
    const results = await executeSteps(allSteps(rb), { executor: executor(), hostMap: {} });
    expect(results.map((r) => r.status)).toEqual(['passed', 'passed']);
    expect(results[1]!.output).toBe('pod is agent-agency-orchestrator-7f9c\n');
  });

  it('does not run steps that are not applicable in a drill', async () => {
    const rb = runbook('aws sts get-caller-identity');
    const [result] = await executeSteps(allSteps(rb), { executor: executor(), hostMap: {} });
    expect(result).toMatchObject({
      status: 'not-runnable',
      execution: 'none',
      error: 'cloud-provider CLI (aws) has no counterpart in a drill',
    });
  });

  it('keeps only the end of long output', async () => {
    const rb = runbook('seq 1 5000');
    const [result] = await executeSteps(allSteps(rb), { executor: executor(), hostMap: {} });
    expect(Buffer.byteLength(result!.output)).toBeLessThanOrEqual(2048 + 3);
    expect(result!.output.endsWith('4999\n5000\n')).toBe(true);
    expect(result!.output.startsWith('…')).toBe(true);
  });
});

describe('hostile steps (a runbook is untrusted input)', () => {
  const asRoot = process.getuid?.() === 0;
  const run = async (
    body: string,
    opts: { allowHostCommands?: boolean; hostMap?: Record<string, string> } = {},
  ) => {
    const [result] = await executeSteps(allSteps(runbook(body)), {
      executor: executor(),
      hostMap: opts.hostMap ?? {},
      ...(opts.allowHostCommands ? { policy: { allowHostCommands: true } } : {}),
    });
    return result!;
  };
  const refused = (r: Awaited<ReturnType<typeof run>>) => {
    expect(r).toMatchObject({ status: 'not-runnable', execution: 'none', exitCode: null });
    return r.error ?? '';
  };

  it('refuses `rm -rf` of a directory before running anything: the directory survives', async () => {
    const victim = mkdtempSync(join(tmpdir(), 'firedrill-victim-'));
    const r = await run(`rm -rf ${victim}`);
    expect(refused(r)).toBe(
      'refused: host program `rm` is not on the allow-list (pass --allow-host-commands to run it)',
    );
    expect(existsSync(victim)).toBe(true);
    rmSync(victim, { recursive: true });
  });

  it('refuses a command substitution that runs a program off the list: nothing is touched', async () => {
    const file = join(dir, 'touched');
    expect(refused(await run(`echo $(touch ${file})`))).toMatch(/host program `touch`/);
    expect(refused(await run(`echo \`touch ${file}\``))).toMatch(/host program `touch`/);
    expect(existsSync(file)).toBe(false);
  });

  it('refuses reading host files and writing files, even with allowed programs', async () => {
    expect(refused(await run('cat /etc/shadow'))).toMatch(/`cat \/etc\/shadow` reads a file of the host/);
    const out = join(dir, 'x');
    const answer = await run(`curl -s ${origin}/health > ${out}`, { hostMap: { [origin]: origin } });
    expect(refused(answer)).toMatch(/writes a file on the host/);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses kubectl and KUBECONFIG overrides that escape the pinned config', async () => {
    for (const body of [
      'kubectl --kubeconfig=/x get pods',
      'kubectl get pods --server https://10.0.0.1:6443',
      'kubectl get pods --context prod',
      'kubectl get pods --token abc',
      'kubectl get pods --as system:admin',
      'KUBECONFIG=/root/.kube/config kubectl get pods',
      'export KUBECONFIG=/x',
    ]) {
      const r = await run(body);
      expect(refused(r), body).toMatch(/pinned kubeconfig/);
      expect(r.output).toBe(''); // the fake kubectl never ran
    }
  });

  it('allows kubectl in a substitution, and a curl to the drill endpoint', async () => {
    const r = await run('kubectl describe pod $(kubectl get pods -o name) -n agent-agency');
    expect(r.status).toBe('passed');
    expect(r.output).toContain('kubectl describe pod kubectl get pods -o name');
    const ok = await run('curl -fsS --max-time 5 https://api.agent-agency.com/ok 2>/dev/null', {
      hostMap: { 'https://api.agent-agency.com': origin },
    });
    expect(ok.status).toBe('passed');
  });

  it('refuses curl to any other port of this machine', async () => {
    const r = await run('curl -fsS --max-time 2 http://127.0.0.1:22/', {
      hostMap: { 'https://api.agent-agency.com': origin },
    });
    expect(refused(r)).toMatch(/http:\/\/127\.0\.0\.1:22 is not one of the drill's endpoints/);
  });

  it('gives a step none of the harness environment, a fresh HOME and working dir, removed after', async () => {
    process.env['FIREDRILL_HARNESS_SECRET'] = 'must-not-leak';
    try {
      const r = await run('env; pwd', { allowHostCommands: true });
      expect(r.status).toBe('passed');
      expect(r.output).not.toContain('FIREDRILL_HARNESS_SECRET');
      expect(r.output).not.toContain('must-not-leak');
      const home = /^HOME=(.+)$/m.exec(r.output)?.[1];
      expect(home).toMatch(/firedrill-step-/);
      expect(r.output.trim().split('\n').pop()).toBe(home); // cwd = HOME
      expect(existsSync(home!)).toBe(false);
      const names = [...r.output.matchAll(/^([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]);
      // bash adds PWD, SHLVL and _ itself
      expect(names.filter((n) => !['PWD', 'SHLVL', '_', 'OLDPWD'].includes(n!)).sort()).toEqual([
        'FAKE_CHILD_PID',
        'HOME',
        'KUBECONFIG',
        'LANG',
        'PATH',
      ]);
    } finally {
      delete process.env['FIREDRILL_HARNESS_SECRET'];
    }
  });

  it.runIf(asRoot)('runs a step as nobody (uid 65534) when the harness is root', async () => {
    const r = await run('id -u; id -g', { allowHostCommands: true });
    expect(r.output).toBe('65534\n65534\n');
    // and nobody cannot read what only root may
    const shadow = await run('test -r /etc/shadow && echo readable || echo unreadable');
    expect(shadow.output).toBe('unreadable\n');
  });

  it('tells the run record when steps cannot drop the uid', async () => {
    const notes: string[] = [];
    const exec = shellExecutor({ runAs: null, onLimitation: (l) => notes.push(l) });
    const steps = allSteps(runbook('echo one\necho two'));
    const results = await executeSteps(steps, { executor: exec, hostMap: {} });
    expect(results.map((r) => r.status)).toEqual(['passed', 'passed']);
    expect(notes).toEqual([expect.stringMatching(/^runbook steps ran as the harness's user \(uid \d+\)/)]);
  });

  it('a step whose program is not installed is not runnable here, and the record is told once', async () => {
    // a PATH with a shell and a fake kubectl only: no curl, no jq
    const bin = mkdtempSync(join(tmpdir(), 'firedrill-bare-'));
    chmodSync(bin, 0o755);
    for (const shell of ['sh', 'bash']) symlinkSync(`/bin/${shell}`, join(bin, shell));
    writeFileSync(join(bin, 'kubectl'), '#!/bin/bash\necho "no resources found"\n', { mode: 0o755 });
    const notes: string[] = [];
    const exec = shellExecutor({ path: bin, runAs: null, onLimitation: (l) => notes.push(l) });
    const steps = allSteps(
      runbook(
        [
          'curl -sf https://api.agent-agency.com/health',
          `kubectl get pods -o json | jq '.items | length'`,
          'curl -s https://api.agent-agency.com/again',
          `echo "builtins need nothing"; if true; then kubectl get pods; fi`,
        ].join('\n\n'),
      ),
    );
    const before = requests.length;
    const hostMap = { 'https://api.agent-agency.com': origin };
    const r = await executeSteps(steps, { executor: exec, hostMap });
    rmSync(bin, { recursive: true, force: true });
    expect(r.map((x) => x.status)).toEqual(['not-runnable', 'not-runnable', 'not-runnable', 'passed']);
    expect(r[0]!.error).toBe(
      "`curl` not installed on this machine (not on the steps' PATH); install it to run this step",
    );
    expect(r[1]!.error).toMatch(/^`jq` not installed/);
    expect(r[0]!.execution).toBe('none');
    expect(requests.length).toBe(before); // nothing ran
    expect(notes.filter((n) => n.includes('not installed'))).toEqual([
      expect.stringMatching(/^`curl` is not installed on this machine/),
      expect.stringMatching(/^`jq` is not installed on this machine/),
    ]);
  });

  it('--allow-host-commands lets `rm` run (as the step user)', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'firedrill-allowed-'));
    chmodSync(parent, 0o777);
    const victim = join(parent, 'victim');
    mkdirSync(victim, { mode: 0o777 });
    chmodSync(victim, 0o777);
    const r = await run(`rm -rf ${victim}`, { allowHostCommands: true });
    expect(r.status).toBe('passed');
    expect(existsSync(victim)).toBe(false);
    rmSync(parent, { recursive: true, force: true });
  });
});

describe('stripTtyFlags', () => {
  it.each([
    ['kubectl exec -it pod -- sh', 'kubectl exec -i pod -- sh', ['-it']],
    ['kubectl exec -ti pod -- sh', 'kubectl exec -i pod -- sh', ['-ti']],
    ['kubectl exec -t pod -- sh', 'kubectl exec pod -- sh', ['-t']],
    ['kubectl exec --tty -i pod -- sh', 'kubectl exec -i pod -- sh', ['--tty']],
    ['kubectl logs -t pod', 'kubectl logs -t pod', []],
    ['x $(kubectl exec -it p -- env)', 'x $(kubectl exec -i p -- env)', ['-it']],
  ])('%s', (input, output, removed) => {
    expect(stripTtyFlags(input)).toEqual({ command: output, removed });
  });
});

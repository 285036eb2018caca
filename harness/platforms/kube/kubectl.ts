/**
 * The real kubectl, for what the API client does not do (kustomize) and for the ledger's
 * crash-safe undo recipes. Every invocation names the kubeconfig, the context and the
 * namespace explicitly: a recipe replayed later by `pnpm chaos cleanup`, from another shell,
 * must reach the same cluster the drill changed and nothing else.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { UndoAction } from '../../core/ledger.ts';

export interface KubectlTarget {
  readonly kubeconfigPath: string;
  readonly context: string;
  readonly namespace: string;
}

export const kubectlInstalled = (): boolean => {
  const r = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore', timeout: 10_000 });
  return !r.error && r.status === 0;
};

const baseArgs = (t: KubectlTarget) => ['--kubeconfig', t.kubeconfigPath, '--context', t.context];

/** A ledger recipe: `kubectl <args>` against exactly this cluster and namespace. */
export function kubectlRecipe(t: KubectlTarget, args: readonly string[], stdin?: string): UndoAction {
  return {
    type: 'run-command',
    argv: ['kubectl', ...baseArgs(t), '--namespace', t.namespace, ...args],
    env: { KUBECONFIG: t.kubeconfigPath },
    ...(stdin !== undefined ? { stdin } : {}),
  };
}

export interface KubectlResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run kubectl with a hard timeout (the process is killed, not left behind). */
export function runKubectl(
  t: KubectlTarget,
  args: readonly string[],
  opts: { timeoutMs: number; stdin?: string; namespaced?: boolean },
): Promise<KubectlResult> {
  const argv = [...baseArgs(t), ...(opts.namespaced === false ? [] : ['--namespace', t.namespace]), ...args];
  return new Promise((resolve) => {
    const child = spawn('kubectl', argv, {
      env: { ...process.env, KUBECONFIG: t.kubeconfigPath },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: stderr + err.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.stdin ?? '');
  });
}

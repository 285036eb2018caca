/**
 * The safety guard of the kube platform. firedrill injects real faults, so it only ever talks to
 * a cluster whose kubeconfig context is on an allow-list (kind clusters and the project's own
 * self-built cluster by default) and whose API server is on this machine, unless both are named
 * deliberately. The check happens before the first request of any kind, and reads only the
 * kubeconfig: a refused target never sees a single API call, nor a DNS query for its name.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { UserError } from '../../core/errors.ts';
import { type Interfaces, serverAllowed, serverIsLocal } from './server-host.ts';

/** kind clusters (`kind-<name>`) and the cluster `pnpm cluster up` builds on this machine. */
export const DEFAULT_ALLOWED_CONTEXTS: readonly string[] = ['kind-*', 'firedrill-local'];

/** The label a namespace needs before the kube platform touches anything in it. */
export const DRILL_TARGET_LABEL = 'firedrill.dev/drill-target';

export interface KubeTarget {
  readonly kubeconfigPath: string;
  readonly context: string;
  /** The loaded config, switched to `context`. Only hand it to a client after assertAllowed(). */
  readonly config: KubeConfig;
  readonly server: string;
}

/**
 * Which kubeconfig a drill uses: `--kubeconfig`, else the one `pnpm cluster up` writes
 * (FIREDRILL_KUBECONFIG, or ${FIREDRILL_CACHE:-~/.cache/firedrill}/kubeconfig when it exists),
 * else KUBECONFIG (its first existing file), else ~/.kube/config. The project's own file comes
 * before KUBECONFIG so a shell pointed at another cluster does not redirect a drill.
 */
export function defaultKubeconfigPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env['FIREDRILL_KUBECONFIG']) return env['FIREDRILL_KUBECONFIG'];
  const own = join(env['FIREDRILL_CACHE'] ?? join(homedir(), '.cache', 'firedrill'), 'kubeconfig');
  if (existsSync(own)) return own;
  const fromEnv = (env['KUBECONFIG'] ?? '').split(delimiter).filter(Boolean);
  return fromEnv.find((f) => existsSync(f)) ?? fromEnv[0] ?? join(homedir(), '.kube', 'config');
}

/** Load a kubeconfig and pick the context; reads the file only, never the network. */
export function loadTarget(opts: { kubeconfig?: string; context?: string }): KubeTarget {
  const kubeconfigPath = opts.kubeconfig ?? defaultKubeconfigPath();
  if (!existsSync(kubeconfigPath))
    throw new UserError(
      `kubeconfig ${kubeconfigPath} not found; run \`pnpm cluster up\` or pass --kubeconfig <file>`,
    );
  const config = new KubeConfig();
  try {
    config.loadFromFile(kubeconfigPath);
  } catch (err) {
    throw new UserError(`kubeconfig ${kubeconfigPath}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const context = opts.context ?? config.getCurrentContext();
  if (!context)
    throw new UserError(`kubeconfig ${kubeconfigPath} has no current-context; pass --context <name>`);
  if (!config.getContextObject(context)) {
    const known = config.getContexts().map((c) => c.name);
    throw new UserError(
      `kubeconfig ${kubeconfigPath} has no context '${context}' (contexts: ${known.join(', ') || 'none'})`,
    );
  }
  config.setCurrentContext(context);
  return { kubeconfigPath, context, config, server: config.getCurrentCluster()?.server ?? '(no server)' };
}

const globToRegExp = (pattern: string): RegExp =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);

export function contextAllowed(context: string, allow: readonly string[]): boolean {
  return allow.some((p) => globToRegExp(p).test(context));
}

/**
 * Who may be drilled. A context on the default list (or `--allow-context`) may reach an API
 * server on this machine; a server anywhere else also needs the context named with
 * `--allow-context` and the server with `--allow-server`: a `kind-prod` context can point at
 * production, its name proves nothing.
 */
export interface GuardPolicy {
  /** Context globs allowed for a server on this machine. */
  readonly contexts: readonly string[];
  /** `--allow-context`: globs named deliberately; the only contexts that may reach a remote server. */
  readonly extraContexts: readonly string[];
  /** `--allow-server`: remote API servers named deliberately (a URL or a host). */
  readonly servers: readonly string[];
}

export function guardPolicy(
  opts: { allowContexts?: readonly string[]; allowServers?: readonly string[] } = {},
): GuardPolicy {
  const extra = opts.allowContexts ?? [];
  return {
    contexts: [...DEFAULT_ALLOWED_CONTEXTS, ...extra],
    extraContexts: extra,
    servers: opts.allowServers ?? [],
  };
}

/** One line, before any request: which context or server, and how to opt in deliberately. */
export function refusal(
  target: Pick<KubeTarget, 'context' | 'server'>,
  policy: GuardPolicy,
  interfaces?: Interfaces,
): string | undefined {
  const { context, server } = target;
  if (!contextAllowed(context, policy.contexts))
    return (
      `refusing context '${context}': not in the allow-list ${policy.contexts.join(', ')}; ` +
      `pass --allow-context '${context}' to drill it anyway (firedrill injects real faults)`
    );
  if (serverIsLocal(server, interfaces)) return undefined;
  if (contextAllowed(context, policy.extraContexts) && serverAllowed(server, policy.servers))
    return undefined;
  return (
    `refusing context '${context}': its API server ${server} is not on this machine; ` +
    `pass --allow-context '${context}' --allow-server '${server}' to drill it anyway`
  );
}

export function assertAllowed(target: Pick<KubeTarget, 'context' | 'server'>, policy: GuardPolicy): void {
  const why = refusal(target, policy);
  if (why) throw new UserError(why);
}

/** loadTarget() then the guard: a target this returns may be handed to a client. Reads the file only. */
export function guardedTarget(
  opts: { kubeconfig?: string; context?: string },
  policy: GuardPolicy,
): KubeTarget {
  const target = loadTarget(opts);
  assertAllowed(target, policy);
  return target;
}

/** Whether a namespace's labels mark it as a drill target. */
export const isDrillTarget = (labels: Readonly<Record<string, string>> | undefined): boolean =>
  labels?.[DRILL_TARGET_LABEL] === 'true';

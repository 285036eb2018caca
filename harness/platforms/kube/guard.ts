/**
 * The safety guard of the kube platform. firedrill injects real faults, so it only ever talks to
 * a cluster whose kubeconfig context is on an allow-list (kind clusters and the project's own
 * self-built cluster by default), and the check happens before the first request of any kind:
 * a refused context never sees a single API call, read or write.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { UserError } from '../../core/errors.ts';

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

/** One line, before any request: which context, the allow-list, and how to opt in deliberately. */
export function refusal(context: string, allow: readonly string[]): string | undefined {
  if (contextAllowed(context, allow)) return undefined;
  return (
    `refusing context '${context}': not in the allow-list ${allow.join(', ')}; ` +
    `pass --allow-context '${context}' to drill it anyway (firedrill injects real faults)`
  );
}

export function assertAllowed(context: string, allow: readonly string[]): void {
  const why = refusal(context, allow);
  if (why) throw new UserError(why);
}

/** Whether a namespace's labels mark it as a drill target. */
export const isDrillTarget = (labels: Readonly<Record<string, string>> | undefined): boolean =>
  labels?.[DRILL_TARGET_LABEL] === 'true';

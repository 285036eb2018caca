/**
 * The `kube` platform: the system under test on a Kubernetes cluster (kind, or the cluster
 * `pnpm cluster up` builds here), driven through @kubernetes/client-node.
 *
 * Safety: before any request, the kubeconfig context must be on the allow-list (default
 * `kind-*`, `firedrill-local`) and its API server on this machine, or both named deliberately
 * (`allowContexts` and `allowServers`); only a namespace labelled
 * firedrill.dev/drill-target=true is touched. The starting state is ledgered before the first
 * change, and down() puts it back while leaving the fixtures deployed for the next drill.
 *
 * @example
 * const platform = createKubePlatform({ ledger, namespace: 'shop', manifests: 'deploy/kustomize' });
 * const { ok, problems } = await platform.preflight();
 * const stack = await platform.up({ stateDir: '.firedrill/runs/abc' });
 * await stack.halt!('shop-postgres');
 * await stack.down();
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type V1Deployment, type V1NetworkPolicy, type V1Pod, VersionApi } from '@kubernetes/client-node';
import { type Clock, systemClock } from '../../core/clock.ts';
import { errorMessage, UserError } from '../../core/errors.ts';
import type { Ledger } from '../../core/ledger.ts';
import { type Logger, silentLogger } from '../../core/log.ts';
import { Session } from '../../core/session.ts';
import type { Platform, PlatformUpOptions, PreflightResult } from '../types.ts';
import { apiErrorLine, bounded, isNotFound, KubeApi } from './api.ts';
import { applyManifests, renderManifests } from './deploy.ts';
import { EnvResolver } from './env.ts';
import { startPlatformExporter } from './exporter.ts';
import { DRILL_TARGET_LABEL, guardedTarget, guardPolicy, isDrillTarget } from './guard.ts';
import { HostAccess, type Upstream } from './host-access.ts';
import { type KubectlTarget, kubectlInstalled, kubectlRecipe } from './kubectl.ts';
import { lockHolder, takeDrillLock } from './lock.ts';
import { NetworkFaults } from './network-faults.ts';
import { selectorMatches } from './pod-state.ts';
import { waitRolledOut } from './ready.ts';
import { recordBaseline, restoreBaseline, reviveHalted } from './restore.ts';
import { KubeStack } from './stack.ts';
import { createStepIdentity } from './step-identity.ts';
import { WatchCache } from './watch-cache.ts';

export { DEFAULT_ALLOWED_CONTEXTS } from './guard.ts';
export { isKubeStack } from './is-kube.ts';
export { KubeStack } from './stack.ts';

export interface KubePlatformOptions {
  /** Default: see defaultKubeconfigPath() (the file `pnpm cluster up` writes comes first). */
  readonly kubeconfig?: string;
  /** Default: the kubeconfig's current-context. */
  readonly context?: string;
  /** The drilled system's namespace (its config's); default the context's, as kubectl does. */
  readonly namespace?: string;
  /** Glob patterns (`*` only) allowed besides kind-* and firedrill-local (`--allow-context`). */
  readonly allowContexts?: readonly string[];
  /** API servers (URL or host) allowed off this machine (`--allow-server`), for `allowContexts` only. */
  readonly allowServers?: readonly string[];
  /** Kustomize directory applied by up() (the fixtures); false to use what is deployed. */
  readonly manifests?: string | false;
  readonly ledger: Ledger;
  readonly clock?: Clock;
  readonly log?: Logger;
  /** How long up() and down() wait for the deployments to roll out. Default 180 s. */
  readonly readyTimeoutMs?: number;
  /** Force how the host reaches pods; default: pod IPs when routable, else port-forward. */
  readonly upstream?: Upstream;
}

/** Throws UserError (one line) for a missing kubeconfig or a context or server the guard refuses; no request is made. */
export function createKubePlatform(opts: KubePlatformOptions): Platform {
  const allow = guardPolicy(opts);
  const target = guardedTarget(opts, allow);
  const namespace = opts.namespace ?? target.config.getContextObject(target.context)?.namespace ?? 'default';
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? silentLogger;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 180_000;
  const kubectl: KubectlTarget = {
    kubeconfigPath: target.kubeconfigPath,
    context: target.context,
    namespace,
  };
  const where = `context ${target.context} (${target.server})`;

  const readNamespaceLabels = async (api: KubeApi) => {
    try {
      const ns = await bounded(api.core.readNamespace({ name: namespace }), 10_000, 'read namespace');
      return ns.metadata?.labels ?? {};
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
  const notLabelled = `namespace ${namespace} is not labelled ${DRILL_TARGET_LABEL}=true; firedrill only touches labelled namespaces (kubectl label namespace ${namespace} ${DRILL_TARGET_LABEL}=true)`;

  return {
    name: 'kube',
    async preflight(): Promise<PreflightResult> {
      const problems: string[] = [];
      const limitations = [
        'kube: no in-cluster Prometheus; detection runs on the harness host (its Prometheus scrapes the pods through pod IPs or port-forward, restart counts come from the platform watch)',
      ];
      if (!kubectlInstalled())
        problems.push('kubectl not found on PATH: runbook steps and manifests need it (install kubectl)');
      const api = KubeApi.connectGuarded(target, allow, namespace, 10_000);
      try {
        await bounded(target.config.makeApiClient(VersionApi).getCode(), 10_000, 'version');
      } catch (err) {
        problems.push(
          `cluster unreachable at ${where}: ${apiErrorLine(err)}; start it with \`pnpm cluster up\``,
        );
        return { ok: false, problems, limitations };
      }
      try {
        const labels = await readNamespaceLabels(api);
        if (labels && !isDrillTarget(labels)) problems.push(notLabelled);
        if (!labels && !opts.manifests) problems.push(`namespace ${namespace} does not exist on ${where}`);
        const busy = labels ? await lockHolder(api, clock.now().wallMs) : undefined;
        if (busy) problems.push(busy);
      } catch (err) {
        problems.push(`namespace ${namespace} on ${where}: ${apiErrorLine(err)}`);
      }
      return { ok: problems.length === 0, problems, limitations };
    },

    async up(upOpts: PlatformUpOptions): Promise<KubeStack> {
      const api = KubeApi.connectGuarded(target, allow, namespace);
      const labels = await readNamespaceLabels(api);
      if (labels && !isDrillTarget(labels)) throw new UserError(notLabelled);
      if (!labels && !opts.manifests)
        throw new UserError(`namespace ${namespace} does not exist on ${where}`);
      const rendered = opts.manifests ? await renderManifests(kubectl, opts.manifests) : undefined;
      // Everything acquired below registers its undo here: a failed up() undoes it on the way
      // out; a stack that came up takes it over and undoes it in down().
      await using acquiring = new Session((err) =>
        log.warn(`kube: after a failed up(): ${errorMessage(err)}`),
      );
      /** What the restore could not put back: the namespace keeps its lock until pnpm chaos cleanup. */
      const incomplete: string[] = [];
      // One drill per namespace, locked before anything changes (re-applying the manifests
      // would undo another drill's fault). A namespace not there yet has no drill in it.
      const locking = async () => {
        const lock = await takeDrillLock({ api, target: kubectl, ledger: opts.ledger, clock, log });
        acquiring.defer(() => (incomplete.length ? undefined : lock.release()));
      };
      if (labels) await locking();
      if (rendered) {
        log.debug(`kube: applying ${opts.manifests} to ${where}`);
        await applyManifests(kubectl, rendered, 120_000);
        if (!labels) await locking();
      }
      const cache = <T extends V1Pod | V1Deployment | V1NetworkPolicy>(
        path: string,
        list: () => Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>,
      ) =>
        acquiring.adopt(new WatchCache<T>({ config: target.config, path, list, clock, log }), (c) =>
          c.stop(),
        );
      const pods = cache<V1Pod>(`/api/v1/namespaces/${namespace}/pods`, () =>
        api.core.listNamespacedPod({ namespace }),
      );
      const deployments = cache<V1Deployment>(`/apis/apps/v1/namespaces/${namespace}/deployments`, () =>
        api.apps.listNamespacedDeployment({ namespace }),
      );
      const policies = cache<V1NetworkPolicy>(
        `/apis/networking.k8s.io/v1/namespaces/${namespace}/networkpolicies`,
        () => api.net.listNamespacedNetworkPolicy({ namespace }),
      );
      const podsOf = (d: V1Deployment) =>
        pods.list().filter((p) => selectorMatches(d.spec?.selector, p.metadata?.labels ?? {}));

      await Promise.all([pods, deployments, policies].map((c) => c.start()));
      const network = new NetworkFaults({
        api,
        policies,
        deployment: (name) => {
          const d = deployments.get(name);
          if (!d) throw new Error(`no deployment ${name} in namespace ${namespace}`);
          return d;
        },
        podsOf: (name) => {
          const d = deployments.get(name);
          return d ? podsOf(d) : [];
        },
        ledger: opts.ledger,
        recipe: (args, stdin) => kubectlRecipe(kubectl, args, stdin),
        log,
      });
      // An interrupted earlier drill may have left faults behind: clear them before measuring.
      const leftovers = [
        ...(await network.removeAll()),
        ...(await reviveHalted(api, deployments.list(), { podsOf, clock })),
      ];
      if (leftovers.length)
        log.warn(
          `kube: removed leftovers of an interrupted drill: ${leftovers.join(', ')} (see pnpm chaos status)`,
        );
      const rolledOut = (signal?: AbortSignal) =>
        waitRolledOut({
          deployments: () => deployments.list(),
          pods: () => pods.list(),
          clock,
          timeoutMs: readyTimeoutMs,
          ...(signal ? { signal } : {}),
        });
      await rolledOut(upOpts.signal);
      // Before the first change: the restore, in memory and in the ledger.
      const baseline = recordBaseline(opts.ledger, kubectl, deployments.list(), policies.list());
      const kubeDir = join(upOpts.stateDir, 'kube');
      acquiring.defer(() => rm(kubeDir, { recursive: true, force: true }));
      // Steps act as a namespaced ServiceAccount, never with the harness's credentials.
      const steps = await createStepIdentity({
        api,
        target: kubectl,
        config: target.config,
        ledger: opts.ledger,
        dir: kubeDir,
      });
      acquiring.defer(async () => incomplete.push(...(await steps.remove())));
      const access = acquiring.adopt(
        new HostAccess({
          api,
          pods: () => pods.list(),
          log,
          ...(opts.upstream ? { upstream: opts.upstream } : {}),
        }),
        (a) => a.close(),
      );
      const restore = () =>
        restoreBaseline(
          {
            api,
            ledger: opts.ledger,
            network,
            deployments: () => deployments.list(),
            policies: () => policies.list(),
            observe: (d) => deployments.observe(d),
            podsOf,
            clock,
          },
          baseline,
        );
      let downing: Promise<void> | undefined;
      const stack: KubeStack = new KubeStack({
        api,
        target: kubectl,
        pods,
        deployments,
        policies,
        access,
        env: new EnvResolver(api.core, namespace),
        network,
        ledger: opts.ledger,
        clock,
        log,
        stepKubeconfig: steps.kubeconfig,
        stateDir: upOpts.stateDir,
        down: () => {
          downing ??= (async () => {
            incomplete.push(...(await restore()));
            await rolledOut().catch((err: unknown) => log.warn(`kube: after restore: ${errorMessage(err)}`));
            await owned.close();
            if (incomplete.length)
              throw new Error(`kube restore incomplete: ${incomplete.join('; ')} (run pnpm chaos cleanup)`);
          })();
          return downing;
        },
      });
      stack.parts.exporter = acquiring.adopt(await startPlatformExporter({ stack, log }), (e) => e.close());
      await access.mode();
      const owned = acquiring.move();
      return stack;
    },
  };
}

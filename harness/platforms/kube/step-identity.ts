/**
 * Who runbook steps are on the cluster. A runbook is untrusted input run literally, so its steps
 * do not get the harness's (admin) credentials: they act as a ServiceAccount of the drill
 * namespace, bound to a namespaced Role with what runbooks need there and nothing
 * cluster-scoped, and no Secrets at all (listing Secrets returns their data). A step beyond that
 * is refused by the API server itself, `Forbidden`, and the report says so.
 *
 * The three objects are ledgered before they exist (a data-only kubectl recipe, so `pnpm chaos
 * cleanup` removes them after a SIGKILL) and removed at restore. The token is a bounded
 * TokenRequest token; the steps' kubeconfig holds only it, the server, its CA and the namespace.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type KubeConfig,
  RbacAuthorizationV1Api,
  type V1PolicyRule,
  type V1Role,
  type V1RoleBinding,
  type V1ServiceAccount,
} from '@kubernetes/client-node';
import { stringify as stringifyYaml } from 'yaml';
import type { Ledger } from '../../core/ledger.ts';
import { apiErrorLine, bounded, isNotFound, type KubeApi } from './api.ts';
import { type KubectlTarget, kubectlRecipe } from './kubectl.ts';

/** The name of the ServiceAccount, its Role and its RoleBinding. */
export const STEP_IDENTITY = 'firedrill-step';

const READ = ['get', 'list', 'watch'];

/** What a runbook step may do in the drill namespace. Secrets are deliberately absent. */
export const STEP_RULES: readonly V1PolicyRule[] = [
  {
    apiGroups: [''],
    resources: ['pods', 'pods/log', 'services', 'endpoints', 'events', 'configmaps'],
    verbs: READ,
  },
  // `get` too: kubectl 1.30+ execs over a WebSocket, which the API server authorizes as a GET.
  { apiGroups: [''], resources: ['pods/exec'], verbs: ['create', 'get'] },
  { apiGroups: [''], resources: ['pods'], verbs: ['delete'] },
  // The post-incident step records the incident in a ConfigMap; create only, so the drill's
  // own lock (a ConfigMap) cannot be deleted or rewritten by a step.
  { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
  { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: READ },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: READ },
  {
    apiGroups: ['apps'],
    resources: ['deployments', 'deployments/scale', 'replicasets', 'statefulsets', 'daemonsets'],
    verbs: READ,
  },
  // scale, rollout restart/undo, set env/resources: all patches or updates of the deployment.
  { apiGroups: ['apps'], resources: ['deployments', 'deployments/scale'], verbs: ['patch', 'update'] },
  {
    apiGroups: ['networking.k8s.io'],
    resources: ['networkpolicies'],
    verbs: [...READ, 'create', 'patch', 'update', 'delete'],
  },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: READ },
  { apiGroups: ['batch'], resources: ['jobs'], verbs: READ },
  { apiGroups: ['metrics.k8s.io'], resources: ['pods'], verbs: ['get', 'list'] },
];

const LABELS = { 'app.kubernetes.io/managed-by': 'firedrill', 'firedrill.dev/part': 'step-identity' };

export interface StepIdentity {
  /** A kubeconfig with only the ServiceAccount's token, the server, its CA and the namespace. */
  readonly kubeconfig: string;
  /** Delete the three objects; the errors, one line each (none: the ledger entry is settled). */
  remove(): Promise<string[]>;
}

export interface StepIdentityOptions {
  readonly api: KubeApi;
  readonly target: KubectlTarget;
  /** The harness's own config, switched to the drill context: where the server and CA come from. */
  readonly config: KubeConfig;
  readonly ledger: Ledger;
  /** Where the kubeconfig is written (the run's private directory). */
  readonly dir: string;
  /** Lifetime of the token; the API server may shorten it. Default one hour. */
  readonly tokenSeconds?: number;
}

const conflict = (err: unknown) => (err as { code?: number })?.code === 409;

/** Create (ledgered first) the ServiceAccount, Role and RoleBinding, and the steps' kubeconfig. */
export async function createStepIdentity(opts: StepIdentityOptions): Promise<StepIdentity> {
  const { api, ledger } = opts;
  const namespace = api.namespace;
  const rbac = opts.config.makeApiClient(RbacAuthorizationV1Api);
  const call = <T>(p: Promise<T>, what: string) => bounded(p, api.requestTimeoutMs, what);
  const entry = ledger.record(
    `runbook step identity ${STEP_IDENTITY} (ServiceAccount, Role, RoleBinding) in namespace ${namespace}`,
    kubectlRecipe(opts.target, [
      'delete',
      'rolebinding,role,serviceaccount',
      STEP_IDENTITY,
      '--ignore-not-found',
    ]),
  );

  const deleteAll = async (): Promise<string[]> => {
    const errors: string[] = [];
    const gone = async (what: string, p: () => Promise<unknown>) => {
      try {
        await call(p(), `delete ${what}`);
      } catch (err) {
        if (!isNotFound(err)) errors.push(`delete ${what} ${STEP_IDENTITY}: ${apiErrorLine(err)}`);
      }
    };
    const name = STEP_IDENTITY;
    await gone('rolebinding', () => rbac.deleteNamespacedRoleBinding({ name, namespace }));
    await gone('role', () => rbac.deleteNamespacedRole({ name, namespace }));
    await gone('serviceaccount', () => api.core.deleteNamespacedServiceAccount({ name, namespace }));
    return errors;
  };
  const remove = async () => {
    const errors = await deleteAll();
    if (errors.length === 0) ledger.settle(entry.id);
    return errors;
  };

  try {
    // A crashed drill's identity (and every token it issued) goes first: its Role may be older.
    const leftovers = await deleteAll();
    if (leftovers.length) throw new Error(leftovers.join('; '));
    await createObjects(opts, rbac, call);
    const token = await call(
      api.core.createNamespacedServiceAccountToken({
        name: STEP_IDENTITY,
        namespace,
        body: { spec: { audiences: [], expirationSeconds: opts.tokenSeconds ?? 3600 } },
      }),
      `token for ${STEP_IDENTITY}`,
    );
    if (!token.status?.token) throw new Error(`the API server issued no token for ${STEP_IDENTITY}`);
    const kubeconfig = await writeTokenKubeconfig(opts, token.status.token);
    return { kubeconfig, remove };
  } catch (err) {
    await remove().catch(() => undefined);
    throw new Error(`kube: could not set up the runbook steps' identity: ${apiErrorLine(err)}`);
  }
}

async function createObjects(
  opts: StepIdentityOptions,
  rbac: RbacAuthorizationV1Api,
  call: <T>(p: Promise<T>, what: string) => Promise<T>,
): Promise<void> {
  const namespace = opts.api.namespace;
  const metadata = { name: STEP_IDENTITY, namespace, labels: LABELS };
  const account: V1ServiceAccount = { metadata, automountServiceAccountToken: false };
  const role: V1Role = { metadata, rules: [...STEP_RULES] };
  const binding: V1RoleBinding = {
    metadata,
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: STEP_IDENTITY },
    subjects: [{ kind: 'ServiceAccount', name: STEP_IDENTITY, namespace }],
  };
  // A deletion the API server has not finished yet answers 409 for a moment.
  const create = async (what: string, p: () => Promise<unknown>) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call(p(), `create ${what}`);
      } catch (err) {
        if (!conflict(err) || attempt >= 10) throw err;
        await new Promise((r) => setTimeout(r, 300));
      }
    }
  };
  await create('serviceaccount', () =>
    opts.api.core.createNamespacedServiceAccount({ namespace, body: account, fieldManager: 'firedrill' }),
  );
  await create('role', () => rbac.createNamespacedRole({ namespace, body: role, fieldManager: 'firedrill' }));
  await create('rolebinding', () =>
    rbac.createNamespacedRoleBinding({ namespace, body: binding, fieldManager: 'firedrill' }),
  );
}

/** The kubeconfig steps get: nothing of the harness's own credentials, the namespace pinned. */
async function writeTokenKubeconfig(opts: StepIdentityOptions, token: string): Promise<string> {
  const cluster = opts.config.getCurrentCluster();
  if (!cluster) throw new Error(`kubeconfig context ${opts.target.context} has no cluster`);
  const caData =
    cluster.caData ?? (cluster.caFile ? (await readFile(cluster.caFile)).toString('base64') : undefined);
  const name = opts.target.context;
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': name,
    clusters: [
      {
        name,
        cluster: {
          server: cluster.server,
          ...(caData ? { 'certificate-authority-data': caData } : {}),
          ...(cluster.skipTLSVerify ? { 'insecure-skip-tls-verify': true } : {}),
          ...(cluster.tlsServerName ? { 'tls-server-name': cluster.tlsServerName } : {}),
        },
      },
    ],
    users: [{ name: STEP_IDENTITY, user: { token } }],
    contexts: [{ name, context: { cluster: name, user: STEP_IDENTITY, namespace: opts.target.namespace } }],
  };
  await mkdir(opts.dir, { recursive: true, mode: 0o700 });
  const file = join(opts.dir, 'steps-kubeconfig');
  await writeFile(file, stringifyYaml(doc), { mode: 0o600 });
  return file;
}

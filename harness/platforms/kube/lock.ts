/**
 * One drill per namespace at a time. Two drills on the same namespace would break each other's
 * system and measure each other's faults, so up() takes a lock (a ConfigMap, created atomically:
 * the API refuses a second create) and down() releases it. The ledger holds its removal, so a
 * crashed drill's lock goes with `pnpm chaos cleanup`; a lock older than `staleAfterMs` (a
 * harness killed without cleanup) is taken over with a warning.
 */
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { Clock } from '../../core/clock.ts';
import { UserError } from '../../core/errors.ts';
import type { Ledger } from '../../core/ledger.ts';
import type { Logger } from '../../core/log.ts';
import type { KubeApi } from './api.ts';
import { isNotFound } from './api.ts';
import { type KubectlTarget, kubectlRecipe } from './kubectl.ts';

export const LOCK_NAME = 'firedrill-drill-lock';

const conflict = (err: unknown) => (err as { code?: number })?.code === 409;

const DEFAULT_STALE_MS = 2 * 3600_000;

const busyLine = (namespace: string, held: V1ConfigMap) =>
  `namespace ${namespace} is busy: drill ${held.data?.['runId'] ?? '?'} runs there since ${held.data?.['since'] ?? '?'}; ` +
  'wait for it, or run `pnpm chaos cleanup` if it was killed';

/** For preflight: the one line saying another drill holds the namespace, or undefined. Reads only. */
export async function lockHolder(api: KubeApi, nowWallMs: number, staleAfterMs = DEFAULT_STALE_MS) {
  try {
    const held = await api.core.readNamespacedConfigMap({ name: LOCK_NAME, namespace: api.namespace });
    const since = Date.parse(held.data?.['since'] ?? '') || 0;
    return nowWallMs - since < staleAfterMs ? busyLine(api.namespace, held) : undefined;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export async function takeDrillLock(opts: {
  api: KubeApi;
  target: KubectlTarget;
  ledger: Ledger;
  clock: Clock;
  log: Logger;
  staleAfterMs?: number;
}): Promise<{ release(): Promise<void> }> {
  const { api, ledger } = opts;
  const now = opts.clock.now().wallMs;
  const body: V1ConfigMap = {
    metadata: { name: LOCK_NAME, labels: { 'app.kubernetes.io/managed-by': 'firedrill' } },
    data: { runId: ledger.runId, since: new Date(now).toISOString(), pid: String(process.pid) },
  };
  const entry = ledger.record(
    `drill lock on namespace ${api.namespace}`,
    kubectlRecipe(opts.target, ['delete', 'configmap', LOCK_NAME, '--ignore-not-found']),
  );
  const create = () => api.core.createNamespacedConfigMap({ namespace: api.namespace, body });
  try {
    await create();
  } catch (err) {
    if (!conflict(err)) throw err;
    const held = await api.core.readNamespacedConfigMap({ name: LOCK_NAME, namespace: api.namespace });
    const since = Date.parse(held.data?.['since'] ?? '') || 0;
    if (now - since < (opts.staleAfterMs ?? DEFAULT_STALE_MS)) {
      ledger.settle(entry.id);
      throw new UserError(busyLine(api.namespace, held));
    }
    opts.log.warn(
      `kube: taking over a stale drill lock of ${held.data?.['runId']} (since ${held.data?.['since']})`,
    );
    await api.core.deleteNamespacedConfigMap({ name: LOCK_NAME, namespace: api.namespace });
    await create();
  }
  return {
    release: async () => {
      try {
        await api.core.deleteNamespacedConfigMap({ name: LOCK_NAME, namespace: api.namespace });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      ledger.settle(entry.id);
    },
  };
}

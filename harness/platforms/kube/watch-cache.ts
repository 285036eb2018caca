/**
 * List + watch one kind of object in one namespace, kept in memory: the kube platform's status
 * verb reads from here, so a status call costs no API request and every change is stamped with
 * the harness clock the moment the watch delivers it (finer than the API's one-second
 * timestamps). Writes the platform makes are folded in at once (`observe`), so a read right
 * after a write never sees the object from before it.
 */
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { Watch } from '@kubernetes/client-node';
import type { Clock } from '../../core/clock.ts';
import { errorMessage } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';
export type ChangeListener<T> = (type: ChangeType, obj: T, previous: T | undefined, atWallMs: number) => void;

export interface WatchCacheOptions<T extends KubernetesObject> {
  readonly config: KubeConfig;
  /** e.g. /api/v1/namespaces/shop/pods */
  readonly path: string;
  readonly list: () => Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>;
  readonly clock: Clock;
  readonly log: Logger;
  /** Server-side watch timeout; the client's own inactivity limit is 30 s. */
  readonly watchTimeoutSeconds?: number;
  /** Upper bound on re-watches over the cache's life (a watch ends every ~25 s normally). */
  readonly maxRewatches?: number;
}

const rv = (o: KubernetesObject | undefined): number => Number(o?.metadata?.resourceVersion ?? 0) || 0;

export class WatchCache<T extends KubernetesObject> {
  private readonly items = new Map<string, T>();
  private readonly listeners = new Set<ChangeListener<T>>();
  private readonly opts: WatchCacheOptions<T>;
  private resourceVersion = '';
  private abort: AbortController | undefined;
  private stopped = false;
  private rewatches = 0;
  private retry: NodeJS.Timeout | undefined;

  constructor(opts: WatchCacheOptions<T>) {
    this.opts = opts;
  }

  /** Resolves once the initial list is in and the watch is open. */
  async start(): Promise<void> {
    await this.relist();
    await this.watch();
  }

  list(): T[] {
    return [...this.items.values()];
  }

  get(name: string): T | undefined {
    return this.items.get(name);
  }

  onChange(listener: ChangeListener<T>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Fold in an object the platform just wrote (or deleted), unless the watch already has newer. */
  observe(obj: T, deleted = false): void {
    const name = obj.metadata?.name;
    if (!name) return;
    const previous = this.items.get(name);
    if (previous && rv(previous) > rv(obj)) return;
    this.apply(deleted ? 'DELETED' : previous ? 'MODIFIED' : 'ADDED', obj);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.abort?.abort();
    this.listeners.clear();
  }

  private apply(type: ChangeType, obj: T): void {
    const name = obj.metadata?.name;
    if (!name) return;
    const previous = this.items.get(name);
    if (type === 'DELETED') this.items.delete(name);
    else this.items.set(name, obj);
    const at = this.opts.clock.now().wallMs;
    for (const l of this.listeners) {
      try {
        l(type, obj, previous, at);
      } catch (err) {
        this.opts.log.warn(`watch listener failed: ${errorMessage(err)}`);
      }
    }
  }

  private async relist(): Promise<void> {
    const res = await this.opts.list();
    const seen = new Set<string>();
    for (const item of res.items) {
      const name = item.metadata?.name;
      if (!name) continue;
      seen.add(name);
      const previous = this.items.get(name);
      if (!previous || rv(previous) !== rv(item)) this.apply(previous ? 'MODIFIED' : 'ADDED', item);
    }
    for (const [name, obj] of this.items) if (!seen.has(name)) this.apply('DELETED', obj);
    this.resourceVersion = res.metadata?.resourceVersion ?? '';
  }

  private async watch(): Promise<void> {
    if (this.stopped) return;
    let gone = false;
    this.abort = await new Watch(this.opts.config).watch(
      this.opts.path,
      {
        resourceVersion: this.resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: this.opts.watchTimeoutSeconds ?? 25,
      },
      (type, obj: T & { code?: number }) => {
        if (type === 'BOOKMARK') {
          this.resourceVersion = obj.metadata?.resourceVersion ?? this.resourceVersion;
          return;
        }
        if (type === 'ERROR') {
          gone = obj.code === 410; // our resourceVersion is too old: list again
          return;
        }
        this.resourceVersion = obj.metadata?.resourceVersion ?? this.resourceVersion;
        if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') this.apply(type, obj);
      },
      (err) => this.ended(err, gone),
    );
  }

  private ended(err: unknown, gone: boolean): void {
    if (this.stopped) return;
    if (++this.rewatches > (this.opts.maxRewatches ?? 10_000)) {
      this.opts.log.warn(`watch ${this.opts.path}: gave up after ${this.rewatches} re-watches`);
      return;
    }
    if (err) this.opts.log.debug(`watch ${this.opts.path} ended: ${errorMessage(err)}`);
    const again = async () => {
      try {
        if (gone || err) await this.relist();
        await this.watch();
      } catch (e) {
        this.opts.log.debug(`watch ${this.opts.path}: ${errorMessage(e)}; retrying`);
        this.retry = setTimeout(again, 1000);
      }
    };
    // A clean end (server timeout) re-watches at once; after an error, give the server a second.
    this.retry = setTimeout(again, err ? 1000 : 0);
  }
}

import { LRUCache } from 'lru-cache';
import type { Logger } from '../observability/log.js';
import type { FlagValues } from './flags.js';
import { emptyRawState, type FlagState, parseFlagState, type RawFlagState } from './state.js';
import type { AuditEntry, FlagStorage, FlagWrite } from './storage.js';

export interface FlagStoreOptions {
  storage: FlagStorage;
  defaults: FlagValues;
  logger: Logger;
  /** How long a loaded state serves before it is refreshed in the background. */
  refreshMs?: number;
  now?: () => number;
}

/**
 * The request path's view of the flags: an in-process cache refreshed in the background and
 * invalidated by every instance's changes, so a request makes no storage round trip for flags and a
 * change anywhere is seen everywhere within a second. With the storage unreachable it keeps serving
 * the last known state (values past their expiry revert to their defaults), and with none known,
 * the defaults.
 */
export class FlagStore {
  private readonly cache: LRUCache<'flags', RawFlagState>;
  private readonly now: () => number;
  private parsed: { raw: RawFlagState; state: FlagState; until: number } | undefined;
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(private readonly options: FlagStoreOptions) {
    this.now = options.now ?? Date.now;
    this.cache = new LRUCache<'flags', RawFlagState>({
      max: 1,
      ttl: options.refreshMs ?? 500,
      // lru-cache memoises "now" and forgets it with a 1 ms timer; workerd drops a request's timers when it ends.
      ttlResolution: 0,
      allowStale: true,
      noDeleteOnFetchRejection: true,
      allowStaleOnFetchRejection: true,
      fetchMethod: async () => {
        try {
          return await options.storage.load();
        } catch (err) {
          options.logger.warn('flags: storage unreachable, serving last known values', {
            error: err instanceof Error ? err.message : String(err),
          });
          throw err;
        }
      },
    });
  }

  /** Listens for changes made through any instance. */
  async start(): Promise<void> {
    this.unsubscribe = await this.options.storage.subscribe(() => this.invalidate());
    await this.snapshot();
  }

  async close(): Promise<void> {
    await this.unsubscribe?.();
  }

  /** Drops the cached state and starts loading a fresh one. */
  invalidate(): void {
    this.cache.delete('flags');
    void this.cache.fetch('flags').catch(() => undefined);
  }

  /** The flags in force, from the cache; never fails. */
  async snapshot(): Promise<FlagState> {
    let raw: RawFlagState | undefined;
    try {
      raw = await this.cache.fetch('flags');
    } catch {
      raw = this.cache.get('flags', { allowStale: true });
    }
    return this.parse(raw ?? emptyRawState());
  }

  /** The flags straight from storage, for operators; fails when the storage is unreachable. */
  async fresh(): Promise<FlagState> {
    const raw = await this.options.storage.load();
    this.cache.set('flags', raw);
    return this.parse(raw);
  }

  async write(change: FlagWrite): Promise<FlagState> {
    await this.options.storage.write(change);
    return this.fresh();
  }

  get storageName(): string {
    return this.options.storage.name;
  }

  auditLog(limit: number): Promise<AuditEntry[]> {
    return this.options.storage.auditLog(limit);
  }

  /** Parses once per loaded state, again only when one of its expiries passes. */
  private parse(raw: RawFlagState): FlagState {
    const now = this.now();
    if (this.parsed && this.parsed.raw === raw && now < this.parsed.until) return this.parsed.state;
    const state = parseFlagState(raw, this.options.defaults, now);
    const expiries = [
      ...Object.values(state.records).map((r) => r.expires_at),
      ...Object.values(state.overrides).map((o) => o?.expires_at),
      state.shadow?.expires_at,
    ]
      .filter((at): at is string => typeof at === 'string')
      .map((at) => Date.parse(at));
    this.parsed = { raw, state, until: Math.min(Number.POSITIVE_INFINITY, ...expiries) };
    return state;
  }
}

import type { Logger } from '../observability/log.js';
import type { FlagValues } from './flags.js';
import { emptyRawState, type FlagState, parseFlagState, type RawFlagState } from './state.js';
import type { AuditEntry, FlagStorage, FlagWrite } from './storage.js';

/** The staleness bound when none is configured (`ZPE_FLAG_STALENESS_MS`). */
export const DEFAULT_FLAG_STALENESS_MS = 1_000;

export interface FlagStoreOptions {
  storage: FlagStorage;
  defaults: FlagValues;
  logger: Logger;
  /**
   * The bound: while the storage answers, no request is served flags read longer ago than this,
   * whoever wrote them (the legacy control plane and redis-cli publish nothing) and however idle
   * the instance was.
   */
  stalenessMs?: number;
  /** How old a read may get before the next one starts in the background (default: a quarter of the bound). */
  refreshMs?: number;
  /**
   * Re-read on a timer every `refreshMs` (Node). Without one (Workers, where an isolate cannot keep
   * a timer between requests), the request that finds the state older than `refreshMs` starts the read.
   */
  timer?: boolean;
  now?: () => number;
}

interface Loaded {
  raw: RawFlagState;
  /** When the read was sent: its values are at least this recent, so ages count from here. */
  readAt: number;
}

/**
 * The request path's view of the flags: state read from storage in one round trip, re-read in the
 * background well inside the staleness bound, and re-read at once when any instance publishes a
 * change. A request makes no storage round trip while its state is younger than the bound; a
 * request that finds it older (the refresh could not keep up, or the instance was idle without a
 * timer) waits for a fresh read instead of serving it. With the storage unreachable it keeps
 * serving the last known state (values past their expiry revert to their defaults), and with none
 * known, the defaults; then it retries in the background rather than on every request.
 */
export class FlagStore {
  private readonly now: () => number;
  private readonly stalenessMs: number;
  private readonly refreshMs: number;
  private loaded: Loaded | undefined;
  /** A read of the storage in flight, and when it was sent. */
  private inflight: { startedAt: number; promise: Promise<Loaded> } | undefined;
  /** A published change: states read before it no longer count as fresh. */
  private invalidatedAt = Number.NEGATIVE_INFINITY;
  /** The last read failed: serve what is known instead of waiting for each retry. */
  private unreachableSince: number | undefined;
  private parsed: { raw: RawFlagState; state: FlagState; until: number } | undefined;
  private unsubscribe: (() => Promise<void>) | undefined;
  private interval: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly options: FlagStoreOptions) {
    this.now = options.now ?? Date.now;
    this.stalenessMs = options.stalenessMs ?? DEFAULT_FLAG_STALENESS_MS;
    this.refreshMs = Math.min(options.refreshMs ?? Math.max(1, Math.floor(this.stalenessMs / 4)), this.stalenessMs);
  }

  /** The bound this store keeps, for operators' messages. */
  get boundMs(): number {
    return this.stalenessMs;
  }

  /** Listens for changes made through any instance, starts the refresh timer and reads the flags once. */
  async start(): Promise<void> {
    if (this.options.timer !== false && !this.interval) {
      this.interval = setInterval(() => {
        if (this.age() >= this.refreshMs / 2) void this.load().catch(() => undefined);
      }, this.refreshMs);
      // Node: the timer alone must not keep the process alive.
      (this.interval as { unref?: () => void }).unref?.();
    }
    this.unsubscribe = await this.options.storage.subscribe(() => this.invalidate());
    await this.snapshot();
  }

  async close(): Promise<void> {
    if (this.interval) clearInterval(this.interval);
    this.interval = undefined;
    await this.unsubscribe?.();
  }

  /** A change was published: what is held no longer counts as fresh, and a new read starts. */
  invalidate(): void {
    this.invalidatedAt = this.now();
    void this.load().catch(() => undefined);
  }

  /**
   * The flags in force when what is held is fresh enough to serve at once (the request path's steady
   * state, answered without a promise); undefined when snapshot() must be asked.
   */
  current(): FlagState | undefined {
    const age = this.age();
    if (age >= this.stalenessMs) return undefined;
    // A read starts early so the next request finds a younger one.
    if (age >= this.refreshMs && this.options.timer === false) void this.load().catch(() => undefined);
    return this.parse(this.loaded?.raw ?? emptyRawState());
  }

  /** The flags in force, within the staleness bound while the storage answers; never fails. */
  async snapshot(): Promise<FlagState> {
    const fresh = this.current();
    if (fresh) return fresh;
    if (this.unreachableSince !== undefined) {
      // Known unreachable: retry in the background, at most once per refresh interval.
      if (!this.inflight && this.now() - this.unreachableSince >= this.refreshMs) {
        void this.load().catch(() => undefined);
      }
      return this.parse(this.loaded?.raw ?? emptyRawState());
    }
    try {
      return this.parse((await this.load(this.now() - this.stalenessMs)).raw);
    } catch {
      return this.parse(this.loaded?.raw ?? emptyRawState());
    }
  }

  /** The flags straight from storage, for operators; fails when the storage is unreachable. */
  async fresh(): Promise<FlagState> {
    return this.parse((await this.load(this.now())).raw);
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

  /** How long ago the state held was read; infinite when none is held or a change was published since. */
  private age(): number {
    if (!this.loaded || this.loaded.readAt < this.invalidatedAt) return Number.POSITIVE_INFINITY;
    return this.now() - this.loaded.readAt;
  }

  /**
   * One read of the storage, shared by every caller that a read in flight satisfies: one sent no
   * earlier than `notBefore` and than the last published change. The newest read wins, whatever
   * order reads finish in.
   */
  private load(notBefore = Number.NEGATIVE_INFINITY): Promise<Loaded> {
    const current = this.inflight;
    if (current && current.startedAt >= notBefore && current.startedAt >= this.invalidatedAt) return current.promise;
    const startedAt = this.now();
    const promise = this.options.storage.load().then(
      (raw) => {
        this.unreachableSince = undefined;
        if (!this.loaded || this.loaded.readAt <= startedAt) this.loaded = { raw, readAt: startedAt };
        return { raw, readAt: startedAt };
      },
      (err: unknown) => {
        if (this.unreachableSince === undefined) {
          this.options.logger.warn('flags: storage unreachable, serving last known values', {
            error: err instanceof Error ? err.message : String(err),
          });
        }
        this.unreachableSince = this.now();
        throw err;
      },
    );
    const entry = { startedAt, promise };
    this.inflight = entry;
    const clear = () => {
      if (this.inflight === entry) this.inflight = undefined;
    };
    promise.then(clear, clear);
    return promise;
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
      ...Object.values(state.rollouts).map((r) => r?.expires_at),
    ]
      .filter((at): at is string => typeof at === 'string')
      .map((at) => Date.parse(at));
    this.parsed = { raw, state, until: Math.min(Number.POSITIVE_INFINITY, ...expiries) };
    return state;
  }
}

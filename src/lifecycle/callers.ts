import { decodeJwt } from 'jose';
import { LRUCache } from 'lru-cache';
import { bearerToken } from '../auth/identity.js';
import { verifiedCaller } from '../auth/verified.js';
import { type Operation, type OperationId, operationId } from '../contract/operations.js';
import type { Logger } from '../observability/log.js';
import { daysEndingOn, type IsoDate, todayUtc } from './dates.js';

/** Calls per caller (`user:<id>`, `worker:<label>`, `admin`, `anonymous`). */
export type CallerCounts = Record<string, number>;

/** Per operation, per day, per caller; only what was seen. */
export type CallerLog = Partial<Record<OperationId, Record<IsoDate, CallerCounts>>>;

export interface CallerIncrement {
  operation: OperationId;
  day: IsoDate;
  caller: string;
  count: number;
}

/** Where caller counts are kept: Redis on Node (shared by every instance), memory on Workers and in tests. */
export interface CallerStore {
  add(increments: readonly CallerIncrement[]): Promise<void>;
  read(operations: readonly OperationId[], days: readonly IsoDate[]): Promise<CallerLog>;
}

export function memoryCallerStore(): CallerStore {
  const counts = new Map<string, CallerCounts>();
  return {
    async add(increments) {
      for (const { operation, day, caller, count } of increments) {
        const key = `${operation} ${day}`;
        const entry = counts.get(key) ?? {};
        entry[caller] = (entry[caller] ?? 0) + count;
        counts.set(key, entry);
      }
    },
    async read(operations, days) {
      const log: CallerLog = {};
      for (const operation of operations) {
        for (const day of days) {
          const entry = counts.get(`${operation} ${day}`);
          if (!entry) continue;
          log[operation] = { ...log[operation], [day]: { ...entry } };
        }
      }
      return log;
    },
  };
}

type Claimed =
  | { kind: 'user'; id: string }
  | { kind: 'worker'; token: string }
  | { kind: 'admin' }
  | { kind: 'anonymous' };

export interface CallerIdentification {
  /** The dev-bypass user header, only when AUTH_MODE=dev-bypass (otherwise anyone could claim any user). */
  devUserIdHeader?: string;
  isAdmin?: (request: Request) => boolean;
}

function schemes(operation: Operation): Set<string> {
  return new Set((operation.security ?? []).flatMap((requirement) => Object.keys(requirement)));
}

/**
 * Who a request claims to be, read from its headers (the JWT's `sub` without its signature). Used only
 * for a request an upstream already accepted (the upstream verified the claim); never decides access.
 */
export function claimedCaller(request: Request, operation: Operation, how: CallerIdentification): Claimed {
  if (how.isAdmin?.(request)) return { kind: 'admin' };
  const devUser = how.devUserIdHeader ? request.headers.get(how.devUserIdHeader)?.trim() : undefined;
  if (devUser) return { kind: 'user', id: devUser };
  const token = bearerToken(request);
  if (!token) return { kind: 'anonymous' };
  if (schemes(operation).has('workerBearer')) return { kind: 'worker', token };
  try {
    const { sub } = decodeJwt(token);
    if (typeof sub === 'string' && sub !== '') return { kind: 'user', id: sub };
  } catch {
    // Not a JWT: nobody we can name.
  }
  return { kind: 'anonymous' };
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Printable and bounded: ids come from the client and end up in Redis field names and in a terminal. */
function printable(id: string): string {
  return id.replace(/[^\x21-\x7e]/g, '?').slice(0, 128);
}

export interface CallerCounterOptions extends CallerIdentification {
  store: CallerStore;
  /** A worker's id or label from the hash (sha256 hex) of its token, when the legacy backend can tell. */
  workerLabel?: (tokenHash: string) => Promise<string | undefined>;
  /** Keeps the counting alive after the response (Workers' waitUntil). */
  background?: (work: Promise<unknown>) => void;
  /**
   * Store the counts on a timer of this period (Node: a shared store read by other instances and by
   * `retire status`). Without it they are stored by the first call after CALLER_FLUSH_MS (Workers).
   */
  flushEveryMs?: number;
  /** Distinct callers of one operation kept between two flushes; calls of any further ones count as `overflow`. */
  maxCallersPerFlush?: number;
  logger?: Logger;
  now?: () => number;
}

export interface CallerCounter {
  /**
   * Counts the caller of `operation` today, once the request was answered: only a caller whose identity
   * was verified (or an operation that takes no credentials, as `anonymous`). Never waits, never throws.
   */
  note(operation: Operation, request: Request): void;
  /** Stores what was counted since the last flush first, so the answer includes every call made so far. */
  read(operations: readonly OperationId[], days: number, today?: IsoDate): Promise<CallerLog>;
  /** Stores what was counted and not yet stored. */
  flush(): Promise<void>;
  /** Stops the timer and stores what is left (at shutdown). */
  close(): Promise<void>;
  /** Counts that could not be stored (storage down); they are dropped, not retried. */
  failures(): number;
}

/** How often counts are written: one batched write per interval instead of one per request. */
export const CALLER_FLUSH_MS = 2_000;
/** Enough for every real caller of an operation within one flush window; forged identities never get this far. */
export const MAX_CALLERS_PER_FLUSH = 1_000;
/** Where the calls of callers beyond the cap are counted. */
export const OVERFLOW_CALLER = 'overflow';

export function createCallerCounter(options: CallerCounterOptions): CallerCounter {
  const now = options.now ?? Date.now;
  const maxCallers = options.maxCallersPerFlush ?? MAX_CALLERS_PER_FLUSH;
  let failures = 0;
  let lastFlush = now();
  let flushing: Promise<void> = Promise.resolve();
  const pending = new Map<string, CallerIncrement>();
  // Distinct callers per operation in `pending`: the bound on memory between two flushes.
  const distinct = new Map<OperationId, number>();
  // A worker's name costs a lookup: remember it per token hash for a while.
  const workerNames = new LRUCache<string, string>({ max: 10_000, ttl: 10 * 60_000 });

  const workerName = async (hash: string): Promise<string> => {
    const known = workerNames.get(hash);
    if (known) return known;
    const label = await options.workerLabel?.(hash).catch(() => undefined);
    const name = `worker:${label ? printable(label) : hash.slice(0, 12)}`;
    workerNames.set(hash, name);
    return name;
  };

  /** The name a caller is counted under, or undefined when nothing verified who it is. */
  const nameOf = async (operation: Operation, request: Request): Promise<string | undefined> => {
    if (schemes(operation).size === 0) return 'anonymous';
    const verified = verifiedCaller(request);
    if (!verified) return undefined;
    if (verified.kind === 'user') return `user:${printable(verified.id)}`;
    if (verified.kind === 'admin') return 'admin';
    if (verified.kind === 'worker') return workerName(verified.tokenHash);
    const claimed = claimedCaller(request, operation, options);
    if (claimed.kind === 'user') return `user:${printable(claimed.id)}`;
    if (claimed.kind === 'worker') return workerName(await sha256Hex(claimed.token));
    return claimed.kind;
  };

  const flush = (): Promise<void> => {
    lastFlush = now();
    if (pending.size === 0) return flushing;
    const batch = [...pending.values()];
    pending.clear();
    distinct.clear();
    const previous = flushing;
    flushing = previous
      .then(() => options.store.add(batch))
      .catch((err: unknown) => {
        const first = failures === 0;
        failures += batch.reduce((sum, increment) => sum + increment.count, 0);
        // The first failure says why; the rest only count, so a Redis outage does not flood the log.
        if (first) {
          options.logger?.warn('callers: counts dropped', { error: err instanceof Error ? err.message : String(err) });
        }
      });
    return flushing;
  };

  const timer =
    options.flushEveryMs === undefined
      ? undefined
      : setInterval(() => {
          void flush();
        }, options.flushEveryMs);
  // Node: the timer must not keep a process alive that has nothing else to do.
  if (typeof timer === 'object' && timer !== null && 'unref' in timer) timer.unref();

  const count = (operation: OperationId, day: IsoDate, caller: string) => {
    let key = `${operation} ${day} ${caller}`;
    let entry = pending.get(key);
    if (!entry) {
      const seen = distinct.get(operation) ?? 0;
      if (seen >= maxCallers) {
        caller = OVERFLOW_CALLER;
        key = `${operation} ${day} ${caller}`;
        entry = pending.get(key);
      } else distinct.set(operation, seen + 1);
    }
    if (entry) entry.count += 1;
    else pending.set(key, { operation, day, caller, count: 1 });
    if (timer === undefined && now() - lastFlush >= CALLER_FLUSH_MS) options.background?.(flush());
  };

  return {
    note(operation, request) {
      const id = operationId(operation);
      const day = todayUtc(now());
      const work = nameOf(operation, request).then(
        (name) => {
          if (name !== undefined) count(id, day, name);
        },
        () => undefined,
      );
      options.background?.(work);
    },
    read: async (operations, days, today = todayUtc(now())) => {
      await flush();
      return options.store.read(operations, daysEndingOn(today, days));
    },
    flush,
    async close() {
      if (timer !== undefined) clearInterval(timer);
      await flush();
    },
    failures: () => failures,
  };
}

/** The callers of each operation over the days of `log`, summed. */
export function callerTotals(log: CallerLog): Partial<Record<OperationId, CallerCounts>> {
  const out: Partial<Record<OperationId, CallerCounts>> = {};
  for (const [operation, byDay] of Object.entries(log) as [OperationId, Record<IsoDate, CallerCounts>][]) {
    const total: CallerCounts = {};
    for (const counts of Object.values(byDay)) {
      for (const [caller, n] of Object.entries(counts)) total[caller] = (total[caller] ?? 0) + n;
    }
    out[operation] = total;
  }
  return out;
}

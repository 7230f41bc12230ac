import { decodeJwt } from 'jose';
import { LRUCache } from 'lru-cache';
import { bearerToken } from '../auth/identity.js';
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

type Caller =
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
 * Who a request claims to be, for counting only: nothing here is verified (the JWT's `sub` is read without
 * its signature), so it never decides access. Reads headers only, never the body.
 */
export function identifyCaller(request: Request, operation: Operation, how: CallerIdentification): Caller {
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
  logger?: Logger;
  now?: () => number;
}

export interface CallerCounter {
  /** Counts the request's caller of `operation` today, in the background: never waits, never throws. */
  note(operation: Operation, request: Request): void;
  /** Stores what was counted since the last flush first, so the answer includes every call made so far. */
  read(operations: readonly OperationId[], days: number, today?: IsoDate): Promise<CallerLog>;
  /** Stores what was counted and not yet stored (at shutdown). */
  flush(): Promise<void>;
  /** Counts that could not be stored (storage down); they are dropped, not retried. */
  failures(): number;
}

/** How often counts are written: one batched write per interval instead of one per request. */
export const CALLER_FLUSH_MS = 2_000;

export function createCallerCounter(options: CallerCounterOptions): CallerCounter {
  const now = options.now ?? Date.now;
  let failures = 0;
  let lastFlush = now();
  let flushing: Promise<void> = Promise.resolve();
  const pending = new Map<string, CallerIncrement>();
  // A worker's name costs a hash and a lookup: remember it per token for a while.
  const workerNames = new LRUCache<string, string>({ max: 10_000, ttl: 10 * 60_000 });

  const nameOf = async (caller: Caller): Promise<string> => {
    switch (caller.kind) {
      case 'user':
        return `user:${printable(caller.id)}`;
      case 'worker': {
        const known = workerNames.get(caller.token);
        if (known) return known;
        const hash = await sha256Hex(caller.token);
        const label = await options.workerLabel?.(hash).catch(() => undefined);
        const name = `worker:${label ? printable(label) : hash.slice(0, 12)}`;
        workerNames.set(caller.token, name);
        return name;
      }
      default:
        return caller.kind;
    }
  };

  const flush = (): Promise<void> => {
    lastFlush = now();
    if (pending.size === 0) return flushing;
    const batch = [...pending.values()];
    pending.clear();
    const previous = flushing;
    flushing = previous
      .then(() => options.store.add(batch))
      .catch((err: unknown) => {
        failures += batch.reduce((sum, increment) => sum + increment.count, 0);
        // The first failure says why; the rest only count, so a Redis outage does not flood the log.
        if (failures === batch.length) {
          options.logger?.warn('callers: counts dropped', { error: err instanceof Error ? err.message : String(err) });
        }
      });
    return flushing;
  };

  const count = (operation: OperationId, day: IsoDate, caller: string) => {
    const key = `${operation} ${day} ${caller}`;
    const entry = pending.get(key);
    if (entry) entry.count += 1;
    else pending.set(key, { operation, day, caller, count: 1 });
    if (now() - lastFlush >= CALLER_FLUSH_MS) options.background?.(flush());
  };

  return {
    note(operation, request) {
      const id = operationId(operation);
      const day = todayUtc(now());
      const caller = identifyCaller(request, operation, options);
      if (caller.kind !== 'worker') {
        void nameOf(caller).then((name) => count(id, day, name));
        return;
      }
      const work = nameOf(caller).then((name) => count(id, day, name));
      options.background?.(work);
    },
    read: async (operations, days, today = todayUtc(now())) => {
      await flush();
      return options.store.read(operations, daysEndingOn(today, days));
    },
    flush,
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

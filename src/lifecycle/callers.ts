import { decodeJwt } from 'jose';
import { bearerToken } from '../auth/identity.js';
import { type Operation, type OperationId, operationId } from '../contract/operations.js';
import type { Logger } from '../observability/log.js';
import { daysEndingOn, type IsoDate, todayUtc } from './dates.js';

/** Calls per caller (`user:<id>`, `worker:<label>`, `admin`, `anonymous`). */
export type CallerCounts = Record<string, number>;

/** Per operation, per day, per caller; only what was seen. */
export type CallerLog = Partial<Record<OperationId, Record<IsoDate, CallerCounts>>>;

/** Where caller counts are kept: Redis on Node (shared by every instance), memory on Workers and in tests. */
export interface CallerStore {
  increment(operation: OperationId, day: IsoDate, caller: string): Promise<void>;
  read(operations: readonly OperationId[], days: readonly IsoDate[]): Promise<CallerLog>;
}

export function memoryCallerStore(): CallerStore {
  const counts = new Map<string, CallerCounts>();
  return {
    async increment(operation, day, caller) {
      const key = `${operation} ${day}`;
      const entry = counts.get(key) ?? {};
      entry[caller] = (entry[caller] ?? 0) + 1;
      counts.set(key, entry);
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
  read(operations: readonly OperationId[], days: number, today?: IsoDate): Promise<CallerLog>;
  /** Counts that could not be stored (storage down); they are dropped, not retried. */
  failures(): number;
}

export function createCallerCounter(options: CallerCounterOptions): CallerCounter {
  const now = options.now ?? Date.now;
  let failures = 0;

  const nameOf = async (caller: Caller): Promise<string> => {
    switch (caller.kind) {
      case 'user':
        return `user:${printable(caller.id)}`;
      case 'worker': {
        const hash = await sha256Hex(caller.token);
        const label = await options.workerLabel?.(hash).catch(() => undefined);
        return `worker:${label ? printable(label) : hash.slice(0, 12)}`;
      }
      default:
        return caller.kind;
    }
  };

  return {
    note(operation, request) {
      const id = operationId(operation);
      const day = todayUtc(now());
      const caller = identifyCaller(request, operation, options);
      const work = nameOf(caller)
        .then((name) => options.store.increment(id, day, name))
        .catch((err: unknown) => {
          failures += 1;
          // The first failure says why; the rest only count, so a Redis outage does not flood the log.
          if (failures === 1) {
            options.logger?.warn('callers: count dropped', {
              operation: id,
              error: err instanceof Error ? err.message : String(err),
            });
          }
        });
      options.background?.(work);
    },
    read: (operations, days, today = todayUtc(now())) => options.store.read(operations, daysEndingOn(today, days)),
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

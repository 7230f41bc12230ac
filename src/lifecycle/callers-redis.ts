import type { Redis } from 'ioredis';
import { workerTokenKey } from '../backends/legacy-redis/keys.js';
import type { OperationId } from '../contract/operations.js';
import type { CallerCounts, CallerLog, CallerStore } from './callers.js';
import type { IsoDate } from './dates.js';

/** Long enough for any quiet period a close asks for; old days expire by themselves. */
export const CALLER_TTL_SECONDS = 30 * 24 * 3600;

export const callersKey = (operation: OperationId, day: IsoDate) => `zpe:gw:callers:${operation}:${day}`;

function failed(results: [Error | null, unknown][] | null): Error | undefined {
  return results?.find(([err]) => err)?.[0] ?? undefined;
}

/** One hash per operation and day, caller -> count, shared by every instance (and read by `retire status`). */
export function redisCallerStore(redis: Redis): CallerStore {
  return {
    async add(increments) {
      const pipeline = redis.pipeline();
      const keys = new Set<string>();
      for (const { operation, day, caller, count } of increments) {
        const key = callersKey(operation, day);
        pipeline.hincrby(key, caller, count);
        keys.add(key);
      }
      for (const key of keys) pipeline.expire(key, CALLER_TTL_SECONDS);
      const error = failed(await pipeline.exec());
      if (error) throw error;
    },
    async read(operations, days) {
      const pairs = operations.flatMap((operation) => days.map((day) => [operation, day] as const));
      if (pairs.length === 0) return {};
      const pipeline = redis.pipeline();
      for (const [operation, day] of pairs) pipeline.hgetall(callersKey(operation, day));
      const results = (await pipeline.exec()) ?? [];
      const error = failed(results);
      if (error) throw error;
      const log: CallerLog = {};
      pairs.forEach(([operation, day], i) => {
        const hash = (results[i]?.[1] ?? {}) as Record<string, string>;
        const counts: CallerCounts = {};
        for (const [caller, n] of Object.entries(hash)) counts[caller] = Number(n);
        if (Object.keys(counts).length > 0) log[operation] = { ...log[operation], [day]: counts };
      });
      return log;
    },
  };
}

/** The built-in legacy backend knows which worker a token belongs to: one HGET, off the request path. */
export function legacyWorkerLabel(redis: Redis): (tokenHash: string) => Promise<string | undefined> {
  return async (tokenHash) => (await redis.hget(workerTokenKey(tokenHash), 'worker_id')) || undefined;
}

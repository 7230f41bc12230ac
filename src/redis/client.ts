import { Redis } from 'ioredis';
import { ApiError } from '../http/errors.js';

/**
 * The gateway's Redis connection. Every command is bounded by the timeout, also while it waits
 * for a (re)connection in the offline queue, and the client reconnects by itself in the
 * background: a Redis outage is a 503 within the timeout, and recovery needs nobody. Commands
 * issued in the same tick leave in one write (auto-pipelining): a read of several keys is one
 * round trip with no MULTI and no pipeline object.
 */
export function createRedis(url: string, timeoutMs: number): Redis {
  return new Redis(url, {
    commandTimeout: timeoutMs,
    connectTimeout: timeoutMs,
    enableOfflineQueue: true,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(50 * attempt, 1000),
    lazyConnect: false,
    enableAutoPipelining: true,
  });
}

/** Runs a Redis operation; any failure of Redis itself becomes 503 "redis unavailable". */
export async function withRedis<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError(503, 'redis unavailable');
  }
}

import { Redis } from 'ioredis';
import { ApiError } from '../http/errors.js';

/**
 * The gateway's Redis connection. Every command is bounded by the timeout, also while it waits
 * for a (re)connection in the offline queue, and the client reconnects by itself in the
 * background: a Redis outage is a 503 within the timeout, and recovery needs nobody.
 */
export function createRedis(url: string, timeoutMs: number): Redis {
  return new Redis(url, {
    commandTimeout: timeoutMs,
    connectTimeout: timeoutMs,
    enableOfflineQueue: true,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(50 * attempt, 1000),
    lazyConnect: false,
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

import { Redis } from 'ioredis';
import { ApiError } from '../http/errors.js';

/**
 * The gateway's Redis connection. Commands fail fast instead of queueing while Redis is away
 * (no offline queue, a command timeout), and the client reconnects by itself in the background,
 * so a Redis outage is a quick 503 and recovery needs nobody.
 */
export function createRedis(url: string, timeoutMs: number): Redis {
  return new Redis(url, {
    commandTimeout: timeoutMs,
    connectTimeout: timeoutMs,
    enableOfflineQueue: false,
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

import { Redis, type RedisOptions } from 'ioredis';
import { ApiError } from '../http/errors.js';

/** Redis through Sentinel: the sentinels to ask and the name of the monitored primary. */
export interface SentinelTarget {
  sentinels: { host: string; port: number }[];
  name: string;
  password?: string | undefined;
}

/** Database, credentials and TLS from a `redis://` or `rediss://` URL, for a connection whose host Sentinel picks. */
function urlSettings(url: string): RedisOptions {
  const parsed = new URL(url);
  const db = Number(parsed.pathname.replace(/^\//, '') || 0);
  return {
    db: Number.isInteger(db) ? db : 0,
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
  };
}

/**
 * The gateway's Redis connection. Every command is bounded by the timeout, also while it waits
 * for a (re)connection in the offline queue, and the client reconnects by itself in the
 * background: a Redis outage is a 503 within the timeout, and recovery needs nobody.
 *
 * With `sentinel`, the primary is asked of the sentinels on every (re)connection. After a
 * failover the sentinels disconnect the clients of the demoted primary, and a command that still
 * reaches it answers READONLY: both make the client reconnect, to the new primary.
 */
export function createRedis(url: string, timeoutMs: number, sentinel?: SentinelTarget): Redis {
  const common: RedisOptions = {
    commandTimeout: timeoutMs,
    connectTimeout: timeoutMs,
    enableOfflineQueue: true,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(50 * attempt, 1000),
    lazyConnect: false,
  };
  if (!sentinel) return new Redis(url, common);
  return new Redis({
    ...common,
    ...urlSettings(url),
    sentinels: sentinel.sentinels,
    name: sentinel.name,
    sentinelPassword: sentinel.password,
    role: 'master',
    sentinelRetryStrategy: (attempt) => Math.min(100 * attempt, 1000),
    // Sentinel announces a new primary on +switch-master: reconnect at once rather than on the next error.
    failoverDetector: true,
    reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
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

import { type Command, Redis, type RedisOptions } from 'ioredis';
import { ApiError } from '../http/errors.js';

/** Redis through Sentinel: the sentinels to ask and the name of the monitored primary. */
export interface SentinelTarget {
  sentinels: { host: string; port: number }[];
  name: string;
  password?: string | undefined;
}

/** Database, credentials and TLS from a `redis://` or `rediss://` URL, for a connection whose host Sentinel picks. */
function urlSettings(url: string): Pick<RedisOptions, 'db' | 'username' | 'password' | 'tls'> {
  const parsed = new URL(url);
  const db = Number(parsed.pathname.replace(/^\//, '') || 0);
  return {
    db: Number.isInteger(db) ? db : 0,
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
  };
}

const uncork = (socket: NonNullable<Redis['stream']>) => socket.uncork();

/**
 * ioredis writes each command to the socket as it is issued: one system call per command. Corked
 * until the event loop's check phase, the commands of every request read in one poll phase leave
 * in one write, and each is still answered as soon as its own reply is read. (ioredis'
 * auto-pipelining batches too, but runs one batch at a time: under load every command waits for
 * the batch before it and outlives a young-generation GC. Under wrk the legacy job status spent
 * 3 to 4 ms per scavenge with it, about 1 ms with this.)
 */
class CoalescingRedis extends Redis {
  override sendCommand(command: Command, stream?: Parameters<Redis['sendCommand']>[1]): unknown {
    const socket = this.stream;
    if (socket?.writable && socket.writableCorked === 0) {
      socket.cork();
      setImmediate(uncork, socket);
    }
    return super.sendCommand(command, stream);
  }
}

/**
 * The gateway's Redis connection. Every command is bounded by the timeout, also while it waits
 * for a (re)connection in the offline queue, and the client reconnects by itself in the
 * background: a Redis outage is a 503 within the timeout, and recovery needs nobody. Commands
 * issued together cost one round trip: none waits for an earlier reply, and those of one turn of
 * the event loop leave in one write (CoalescingRedis).
 *
 * With `sentinel`, the primary is asked of the sentinels on every (re)connection, and the client
 * reconnects as soon as a sentinel announces a new primary (watchFailovers); a command that still
 * reaches a demoted primary answers READONLY, which reconnects too.
 */
export function createRedis(url: string, timeoutMs: number, sentinel?: SentinelTarget): Redis {
  const common = {
    commandTimeout: timeoutMs,
    connectTimeout: timeoutMs,
    enableOfflineQueue: true,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(50 * attempt, 1000),
    lazyConnect: false,
    enableAutoPipelining: false,
  } satisfies RedisOptions;
  if (!sentinel) return new CoalescingRedis(url, common);
  const redis = new CoalescingRedis({
    ...common,
    ...urlSettings(url),
    sentinels: sentinel.sentinels,
    name: sentinel.name,
    sentinelPassword: sentinel.password,
    role: 'master',
    sentinelRetryStrategy: (attempt) => Math.min(100 * attempt, 1000),
    // Not ioredis' own failoverDetector: when its announcement lands while the client is already
    // reconnecting (the primary was killed), ioredis ends the client for good (ioredis 6.0.0).
    failoverDetector: false,
    reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
  });
  watchFailovers(redis, sentinel);
  return redis;
}

/**
 * Whether a `+switch-master` announcement ("<name> <old ip> <old port> <new ip> <new port>") names
 * a new primary for `name` other than the one `connection` is open to. A client whose primary died
 * has usually found the new one by itself before the announcement arrives: reconnecting it then
 * would only fail the requests of that moment.
 */
export function announcesOtherPrimary(
  announcement: string,
  name: string,
  connection: { remoteAddress?: string | undefined; remotePort?: number | undefined } | undefined,
): boolean {
  const [announced, , , host, port] = announcement.split(' ');
  if (announced !== name) return false;
  return connection?.remoteAddress !== host || String(connection?.remotePort) !== port;
}

/**
 * Listens on every sentinel for `+switch-master` of our primary and then makes `redis` reconnect
 * (to the primary the sentinels now name), so writes stop reaching the old primary before the
 * sentinels get round to demoting it: a write it accepted then would be lost in its resync. A
 * client already reconnecting, or already on the new primary, is left alone.
 */
function watchFailovers(redis: Redis, target: SentinelTarget): void {
  const watchers = target.sentinels.map(({ host, port }) => {
    const watcher = new Redis({
      host,
      port,
      password: target.password,
      connectTimeout: 2_000,
      maxRetriesPerRequest: null,
      retryStrategy: (attempt) => Math.min(100 * attempt, 2_000),
    });
    watcher.on('error', () => {});
    watcher.on('message', (_channel: string, message: string) => {
      if (redis.status === 'ready' && announcesOtherPrimary(message, target.name, redis.stream)) redis.disconnect(true);
    });
    watcher.subscribe('+switch-master').catch(() => {});
    return watcher;
  });
  redis.once('end', () => {
    for (const watcher of watchers) watcher.disconnect();
  });
}

/**
 * Runs a Redis operation; any failure of Redis itself becomes 503 "redis unavailable", its cause
 * told to `failed` (the 503 says no more).
 */
export async function withRedis<T>(work: () => Promise<T>, failed?: (err: unknown) => void): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ApiError) throw err;
    failed?.(err);
    throw new ApiError(503, 'redis unavailable');
  }
}

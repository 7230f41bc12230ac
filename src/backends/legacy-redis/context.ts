import type { ChainableCommander, Redis } from 'ioredis';
import type { AdminAuthenticator, UserAuthenticator } from '../../auth/identity.js';
import type { Config } from '../../config/env.js';
import type { OperationCall } from '../../http/app.js';
import type { Logger } from '../../observability/log.js';
import { withRedis } from '../../redis/client.js';
import { defineScripts, type ScriptCall } from '../../redis/scripts.js';

export const SCRIPT_NAMES = [
  'submit',
  'lease',
  'result',
  'failure',
  'register',
  'revoke',
  'targets',
  'identify-worker',
  'job-read',
] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

/** What every handler of the built-in legacy backend works with. */
export interface LegacyContext {
  redis: Redis;
  scripts: Record<ScriptName, ScriptCall>;
  config: Config;
  users: UserAuthenticator;
  admin: AdminAuthenticator;
  logger: Logger;
  /** Epoch milliseconds; injectable so tests can move time (lease expiry, retry backoff). */
  now: () => number;
  /** Runs Redis work: any failure of Redis is logged and answered 503 'redis unavailable'. */
  run<T>(work: () => Promise<T>): Promise<T>;
}

export type Handler = (ctx: LegacyContext, call: OperationCall) => Promise<Response>;

export interface LegacyDeps {
  redis: Redis;
  config: Config;
  users: UserAuthenticator;
  admin: AdminAuthenticator;
  logger: Logger;
  now?: () => number;
}

export function createContext(deps: LegacyDeps): LegacyContext {
  const { logger } = deps;
  return {
    ...deps,
    scripts: defineScripts(deps.redis, new URL('./scripts/', import.meta.url), SCRIPT_NAMES),
    now: deps.now ?? Date.now,
    // The log keeps the cause of a 503 (a timeout, a script error).
    run: (work) =>
      withRedis(work, (err) =>
        logger.warn('redis call failed', { error: err instanceof Error ? err.message : String(err) }),
      ),
  };
}

/** A script's reply: its first element names the outcome, the rest are strings, numbers or null. */
export type ScriptReply = [string, ...(string | number | null)[]];

export function scriptReply(value: unknown): ScriptReply {
  if (Array.isArray(value) && typeof value[0] === 'string') return value as ScriptReply;
  throw new Error(`unexpected script reply: ${JSON.stringify(value)}`);
}

/** Runs a pipeline or MULTI and answers each command's reply; any command's error fails the batch. */
export async function execBatch(batch: Pick<ChainableCommander, 'exec'>): Promise<unknown[]> {
  const results = (await batch.exec()) ?? [];
  for (const [err] of results) if (err) throw err;
  return results.map(([, value]) => value);
}

import type { OperationId } from '../contract/operations.js';
import { type CallerCounts, callerTotals } from '../lifecycle/callers.js';
import { redisCallerStore } from '../lifecycle/callers-redis.js';
import { daysEndingOn, type IsoDate } from '../lifecycle/dates.js';
import { createRedis } from '../redis/client.js';

/**
 * The callers the gateways counted in Redis over the `days` days ending `today`, per operation; undefined when
 * Redis cannot be reached (the caller says so: unknown is not the same as none).
 */
export async function readCallers(
  redisUrl: string,
  timeoutMs: number,
  operations: readonly OperationId[],
  days: number,
  today: IsoDate,
): Promise<Partial<Record<OperationId, CallerCounts>> | undefined> {
  const redis = createRedis(redisUrl, timeoutMs);
  redis.on('error', () => {});
  try {
    await redis.ping();
    return callerTotals(await redisCallerStore(redis).read(operations, daysEndingOn(today, days)));
  } catch {
    return undefined;
  } finally {
    redis.disconnect();
  }
}

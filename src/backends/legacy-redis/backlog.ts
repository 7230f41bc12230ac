import type { Redis } from 'ioredis';
import { delayKey, leaseIndexKey, queueKey } from './keys.js';

/**
 * Jobs the legacy queue still holds: waiting, leased, or waiting for a retry. Zero means the legacy
 * queue is drained (a guardrail for moving dequeue elsewhere). Rejects when Redis does.
 */
export async function legacyBacklog(redis: Redis): Promise<number> {
  const results = await redis.multi().llen(queueKey()).zcard(leaseIndexKey()).zcard(delayKey()).exec();
  let total = 0;
  for (const [err, count] of results ?? []) {
    if (err) throw err;
    total += Number(count);
  }
  return total;
}

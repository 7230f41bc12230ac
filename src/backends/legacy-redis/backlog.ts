import type { Redis } from 'ioredis';
import { execBatch } from './context.js';
import { delayKey, leaseIndexKey, queueKey } from './keys.js';

/**
 * Jobs the legacy queue still holds: waiting, leased, or waiting for a retry. Zero means the legacy
 * queue is drained (a guardrail for moving dequeue elsewhere). Rejects when Redis does.
 */
export async function legacyBacklog(redis: Redis): Promise<number> {
  const counts = await execBatch(redis.multi().llen(queueKey()).zcard(leaseIndexKey()).zcard(delayKey()));
  return counts.reduce<number>((total, count) => total + Number(count), 0);
}

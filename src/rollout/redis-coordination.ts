import type { Redis } from 'ioredis';
import { defineScripts } from '../redis/scripts.js';
import { BUCKET_MS, type Evidence, type RolloutCoordination } from './coordination.js';
import type { RolloutFlag } from './rollout.js';

const LEADER_KEY = 'zpe:gw:rollout:leader';
/** Buckets outlive the longest guard window. */
const BUCKET_TTL_SECONDS = 3_700;

function bucketKey(flag: RolloutFlag, generation: string, bucket: number): string {
  return `zpe:gw:rollout:evidence:${flag}:${generation}:${bucket}`;
}

/** Rollout evidence and the guards' lease in Redis: one hash per rollout, generation and 5-second bucket. */
export function redisRolloutCoordination(redis: Redis): RolloutCoordination {
  const scripts = defineScripts(redis, new URL('./scripts/', import.meta.url), ['lease'] as const);
  return {
    async add(batches) {
      if (batches.length === 0) return;
      const pipeline = redis.pipeline();
      for (const b of batches) {
        const key = bucketKey(b.flag, b.generation, b.bucket);
        pipeline
          .hincrby(key, 'requests', b.requests)
          .hincrby(key, 'errors', b.errors)
          .hincrby(key, 'violations', b.violations)
          .expire(key, BUCKET_TTL_SECONDS);
      }
      await pipeline.exec();
    },

    async read(flag, generation, since, until) {
      const pipeline = redis.pipeline();
      const first = Math.floor(since / BUCKET_MS) * BUCKET_MS;
      for (let bucket = first; bucket <= until; bucket += BUCKET_MS) {
        pipeline.hgetall(bucketKey(flag, generation, bucket));
      }
      const replies = (await pipeline.exec()) ?? [];
      const total: Evidence = { requests: 0, errors: 0, violations: 0 };
      for (const [err, value] of replies) {
        if (err) throw err;
        const fields = value as Record<string, string>;
        total.requests += Number(fields.requests ?? 0);
        total.errors += Number(fields.errors ?? 0);
        total.violations += Number(fields.violations ?? 0);
      }
      return total;
    },

    async lead(holder, ttlMs) {
      return (await scripts.lease(1, LEADER_KEY, holder, ttlMs)) === 1;
    },
  };
}

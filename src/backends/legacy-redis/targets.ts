import type { z } from 'zod';
import type { QueueTargetPageQuery } from '../../contract/schemas/targets.js';
import { ApiError } from '../../http/errors.js';
import { execBatch, type Handler } from './context.js';
import { activeTargetKey, targetKey, userTargetsKey } from './keys.js';
import { parseObject } from './values.js';

/** A stored target as the contract shows it; an unreadable one is left out. */
function publicTarget(stored: Record<string, unknown> | undefined) {
  if (!stored || typeof stored.target_id !== 'string') return [];
  return [
    {
      id: stored.target_id,
      queue_name: String(stored.queue_name ?? ''),
      server_id: String(stored.server_id ?? ''),
      registered_at: String(stored.registered_at ?? ''),
      name: typeof stored.name === 'string' ? stored.name : null,
    },
  ];
}

export const listQueueTargets: Handler = async (ctx, call) => {
  const user = await ctx.users.authenticate(call.request);
  const { limit, offset } = call.query as z.output<typeof QueueTargetPageQuery>;
  // Both are safe integers; their sum may not be, and Redis wants an integer (a page that far is empty anyway).
  const stop = Math.min(offset + limit - 1, Number.MAX_SAFE_INTEGER);
  const { total, ids, active, stored } = await ctx.run(async () => {
    const [total, ids, active] = (await execBatch(
      ctx.redis
        .pipeline()
        .llen(userTargetsKey(user.id))
        .lrange(userTargetsKey(user.id), offset, stop)
        .get(activeTargetKey(user.id)),
    )) as [number, string[], string | null];
    const stored = ids.length > 0 ? await ctx.redis.mget(ids.map(targetKey)) : [];
    return { total, ids, active, stored };
  });
  return Response.json({
    targets: ids.flatMap((_, i) => publicTarget(parseObject(stored[i]))),
    active_target_id: active,
    pagination: { total, limit, offset },
  });
};

export const selectQueueTarget: Handler = async (ctx, call) => {
  const user = await ctx.users.authenticate(call.request);
  const targetId = call.params.target_id!;
  await ctx.run(async () => {
    const target = parseObject(await ctx.redis.get(targetKey(targetId)));
    // Someone else's target is as unknown to the caller as one that does not exist.
    if (!target || target.user_id !== user.id) throw new ApiError(404, 'target not found');
    await ctx.redis.set(activeTargetKey(user.id), targetId);
  });
  return Response.json({ active_target_id: targetId });
};

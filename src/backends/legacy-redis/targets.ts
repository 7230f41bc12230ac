import type { z } from 'zod';
import type { QueueTargetPageQuery } from '../../contract/schemas/targets.js';
import { jsonAnswer } from '../../http/answer.js';
import { ApiError } from '../../http/errors.js';
import type { Handler } from './context.js';
import { activeTargetKey, PREFIX, targetKey, userTargetsKey } from './keys.js';
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
  const keys = [userTargetsKey(user.id), activeTargetKey(user.id)];
  const [active, activeExists, ...records] = (await ctx.run(() =>
    ctx.scripts.targets(keys.length, ...keys, PREFIX),
  )) as [string | null, number, ...(string | null)[]];
  // As the legacy: targets whose record is gone are left out, also of the total; a dangling active id reads as none.
  const targets = records.flatMap((record) => publicTarget(parseObject(record)));
  return jsonAnswer({
    targets: targets.slice(offset, offset + limit),
    active_target_id: active !== null && activeExists === 1 ? active : null,
    pagination: { total: targets.length, limit, offset },
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
  return jsonAnswer({ active_target_id: targetId });
};

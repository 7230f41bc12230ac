import { z } from '@hono/zod-openapi';
import { Timestamp } from './common.js';

export const QueueTarget = z
  .object({
    id: z.string(),
    queue_name: z.string(),
    server_id: z.string(),
    registered_at: Timestamp,
    name: z.string().nullable().optional(),
  })
  .strict()
  .openapi('QueueTarget');

export const Pagination = z
  .object({ total: z.number().int(), limit: z.number().int(), offset: z.number().int() })
  .strict()
  .openapi('Pagination');

export const QueueTargetPage = z
  .object({
    targets: z.array(QueueTarget),
    active_target_id: z.string().nullable().optional(),
    pagination: Pagination,
  })
  .strict()
  .openapi('QueueTargetListResponse');

export const QueueTargetPageQuery = z
  .object({
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .default(50)
      .openapi({ param: { name: 'limit', in: 'query' } }),
    // zod-to-openapi renders a coerced `min(0)` as nullable; state the schema outright.
    offset: z.coerce
      .number()
      .int()
      .min(0)
      .default(0)
      .openapi({ param: { name: 'offset', in: 'query' }, type: 'integer', minimum: 0, default: 0 }),
  })
  .strict();

export const TargetIdParams = z
  .object({
    target_id: z
      .string()
      .openapi({ param: { name: 'target_id', in: 'path' }, example: 'qt-0123456789abcdef0123456789abcdef' }),
  })
  .strict();

export const ActiveTarget = z.object({ active_target_id: z.string() }).strict().openapi('QueueTargetSelectResponse');

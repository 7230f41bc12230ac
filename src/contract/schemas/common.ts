import { z } from '@hono/zod-openapi';

/** Timestamps are ISO 8601 UTC with an explicit offset; readers accept any ISO 8601 form. */
export const Timestamp = z.string().openapi({ example: '2026-02-15T09:30:00.123456+00:00' });

export const JsonObject = z.record(z.string(), z.unknown());

export const KpointGrid = z
  .tuple([z.number().int(), z.number().int(), z.number().int()])
  .openapi({ description: 'Monkhorst-Pack grid.', minItems: 3, maxItems: 3 });

export const CalcType = z.enum(['qe.zpe.v1', 'qe.relax.v1']);

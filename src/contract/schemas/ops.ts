import { z } from '@hono/zod-openapi';
import { Timestamp } from './common.js';

export const SubmissionRoute = z.enum(['redis-worker', 'next-gen']);
export const ResultReadSource = z.enum(['redis', 'projection']);

const flagFields = {
  submission_enabled: z.boolean(),
  dequeue_enabled: z.boolean(),
  submission_route: SubmissionRoute,
  result_read_source: ResultReadSource,
  legacy_worker_endpoints_enabled: z.boolean(),
};

export const FlagState = z
  .object({
    value: z.union([z.boolean(), z.string()]),
    source: z
      .enum(['default', 'set'])
      .openapi({ description: '`default`: from the environment; `set`: set at runtime.' }),
    expires_at: Timestamp.nullable(),
    actor: z.string().nullable(),
    reason: z.string().nullable(),
  })
  .strict()
  .openapi('FlagState');

export const OpsFlags = z
  .object({
    ...flagFields,
    flags: z
      .object({
        submission_enabled: FlagState,
        dequeue_enabled: FlagState,
        submission_route: FlagState,
        result_read_source: FlagState,
        legacy_worker_endpoints_enabled: FlagState,
      })
      .strict()
      .optional()
      .openapi({ description: 'Where each value came from, when it expires, who set it and why.' }),
  })
  .strict()
  .openapi('OpsFlagsResponse');

export const OpsFlagsChange = z
  .object({
    submission_enabled: flagFields.submission_enabled.nullable().optional(),
    dequeue_enabled: flagFields.dequeue_enabled.nullable().optional(),
    submission_route: flagFields.submission_route.nullable().optional(),
    result_read_source: flagFields.result_read_source.nullable().optional(),
    legacy_worker_endpoints_enabled: flagFields.legacy_worker_endpoints_enabled.nullable().optional(),
    reason: z
      .string()
      .nullable()
      .optional()
      .openapi({ description: 'Why; recorded in the audit log. Required with `force`.' }),
    ttl_seconds: z.number().int().nullable().optional().openapi({
      description:
        'Lifetime of the changed flags; the configured default when absent, capped by the configured maximum.',
    }),
    force: z
      .boolean()
      .nullable()
      .optional()
      .openapi({ description: 'Override the order guardrails; needs a reason and is recorded as forced.' }),
  })
  .strict()
  .openapi('OpsFlagsRequest');

export type FlagValues = { -readonly [K in keyof typeof flagFields]: z.infer<(typeof flagFields)[K]> };
export type FlagName = keyof FlagValues;
export const FLAG_NAMES = Object.keys(flagFields) as FlagName[];

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

const BackendName = z.enum(['legacy', 'nextgen']);

export const RouteOverride = z
  .object({
    backend: BackendName,
    actor: z.string(),
    reason: z.string(),
    expires_at: Timestamp,
  })
  .strict()
  .openapi('RouteOverride');

const FieldDiff = z
  .object({ path: z.string(), served: z.unknown(), shadow: z.unknown() })
  .strict()
  .openapi('FieldDiff');

export const Parity = z
  .object({
    compared: z
      .number()
      .int()
      .openapi({ description: 'Comparisons: both backends answered about the same job (matched + mismatched).' }),
    matched: z.number().int(),
    mismatched: z.number().int(),
    missing_on_legacy: z
      .number()
      .int()
      .openapi({ description: 'The job exists only at next-gen: reported apart, not a comparison.' }),
    missing_on_nextgen: z
      .number()
      .int()
      .openapi({ description: 'The job exists only at legacy: reported apart, not a comparison.' }),
    failed: z.number().int().openapi({ description: 'Shadow reads that could not be compared (error, timeout, 5xx).' }),
    last_mismatches: z.array(
      z.object({ at: Timestamp, request_id: z.string(), served_by: BackendName, diff: z.array(FieldDiff) }).strict(),
    ),
  })
  .strict()
  .openapi('Parity');

export const AuditEntry = z
  .object({
    at: Timestamp,
    actor: z.string(),
    reason: z.string(),
    forced: z.boolean(),
    changes: z.record(z.string(), z.unknown()),
  })
  .strict()
  .openapi('AuditEntry');

/** The flags a rollout can move for a share of users, and where it moves them. */
export const ROLLOUT_TARGETS = { submission_route: 'next-gen', result_read_source: 'projection' } as const;
export type RolloutFlag = keyof typeof ROLLOUT_TARGETS;
export const ROLLOUT_FLAGS = Object.keys(ROLLOUT_TARGETS) as RolloutFlag[];

export const RolloutGuard = z
  .object({
    max_error_ratio: z.number().min(0).max(1).nullable().optional().openapi({
      description: 'Roll back when next-gen answers 5xx to more than this fraction of the rollout’s requests.',
    }),
    window_seconds: z.number().int().min(10).max(3600).nullable().optional().openapi({
      description: 'The window the error ratio is taken over (default 300).',
    }),
    min_requests: z.number().int().min(1).nullable().optional().openapi({
      description: 'Requests the window needs before the ratio counts (default 50).',
    }),
    max_contract_violations: z.number().int().min(0).nullable().optional().openapi({
      description: 'Roll back when more next-gen answers than this break the contract within the window.',
    }),
    min_parity: z.number().min(0).max(1).nullable().optional().openapi({
      description: 'Roll back when shadow-read parity (at least the configured minimum of samples) falls below this.',
    }),
  })
  .strict()
  .openapi('RolloutGuard');

export const Rollout = z
  .object({
    percent: z.number(),
    target: z.string(),
    salt: z.string(),
    guard: RolloutGuard,
    actor: z.string(),
    reason: z.string(),
    set_at: Timestamp,
    expires_at: Timestamp,
    tripped: z
      .object({ at: Timestamp, guard: z.string(), evidence: z.record(z.string(), z.unknown()) })
      .strict()
      .nullable()
      .openapi({ description: 'Set when a guard rolled the path back by itself; a new change resumes it.' }),
  })
  .strict()
  .openapi('Rollout');

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
    version: z
      .string()
      .optional()
      .openapi({ description: 'Fingerprint of the routing state; the `x-zpe-flags-version` header.' }),
    route_overrides: z
      .record(z.string(), RouteOverride)
      .optional()
      .openapi({ description: 'Operations pinned to a backend.' }),
    shadow: z
      .object({
        sample_rate: z.number(),
        expires_at: Timestamp.nullable(),
        parity: z.record(z.string(), Parity),
      })
      .strict()
      .optional()
      .openapi({
        description:
          'Shadow reads: the sampled fraction, and parity per read operation over the last 24 hours, fleet-wide on Node (every instance, every deploy).',
      }),
    rollouts: z.record(z.string(), Rollout).optional().openapi({
      description: 'Flagged paths moved for a sticky share of users, with their guard and any automatic rollback.',
    }),
    nextgen_contract_violations: z.record(z.string(), z.number().int()).optional().openapi({
      description:
        'Next-gen answers that broke the contract, per operation, over the last 24 hours; fleet-wide on Node, per isolate on Workers.',
    }),
    audit: z.array(AuditEntry).optional().openapi({ description: 'The latest changes, newest first.' }),
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
    route_overrides: z
      .record(
        z.string(),
        z.object({ backend: BackendName, reason: z.string().nullable().optional() }).strict().nullable(),
      )
      .nullable()
      .optional()
      .openapi({ description: 'Pin operations (by operation id) to a backend; null clears a pin.' }),
    shadow_sample_rate: z
      .number()
      .min(0)
      .max(1)
      .nullable()
      .optional()
      .openapi({ description: 'Fraction of reads also sent, in the background, to the other backend and compared.' }),
    rollout: z
      .object({
        submission_route: z
          .object({ percent: z.number().min(0).max(100), guard: RolloutGuard.nullable().optional() })
          .strict()
          .nullable()
          .optional(),
        result_read_source: z
          .object({ percent: z.number().min(0).max(100), guard: RolloutGuard.nullable().optional() })
          .strict()
          .nullable()
          .optional(),
      })
      .strict()
      .nullable()
      .optional()
      .openapi({
        description:
          'Move a flagged path for a sticky percentage of users (a stable hash of the user id): raising only adds users; 0 or null rolls back.',
      }),
    force: z
      .boolean()
      .nullable()
      .optional()
      .openapi({ description: 'Override the order guardrails; needs a reason and is recorded as forced.' }),
  })
  .strict()
  .openapi('OpsFlagsRequest', {
    // What /docs pre-fills: a guarded forward step. Never `force`: an override must be typed on purpose.
    example: { submission_route: 'next-gen', reason: 'GRA-22 stage 1: submissions to next-gen', ttl_seconds: 3600 },
  });

export type FlagValues = { -readonly [K in keyof typeof flagFields]: z.infer<(typeof flagFields)[K]> };
export type FlagName = keyof FlagValues;
export const FLAG_NAMES = Object.keys(flagFields) as FlagName[];

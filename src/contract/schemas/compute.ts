import { z } from '@hono/zod-openapi';
import { JsonObject, Timestamp } from './common.js';

/** Fields in the legacy model's order: validation errors are listed in it. */
export const EnrollTokenRequest = z
  .object({
    ttl_seconds: z
      .number()
      .int()
      .nullable()
      .optional()
      .openapi({ description: 'Lifetime of the token; the configured default when absent. Zero or less is refused.' }),
    label: z.string().nullable().optional(),
  })
  .strict()
  .openapi('EnrollTokenRequest');

export const EnrollToken = z
  .object({
    token: z.string(),
    expires_at: Timestamp,
    ttl_seconds: z.number().int(),
    label: z.string().nullable().optional(),
  })
  .strict()
  .openapi('EnrollTokenResponse');

export const ServerRegistration = z
  .object({
    token: z.string().openapi({ description: 'A single-use enrollment token.' }),
    name: z.string().nullable().optional(),
    queue_name: z.string().nullable().optional(),
    meta: JsonObject.optional(),
  })
  .strict()
  .openapi('ComputeRegisterRequest');

export const RegisteredServer = z
  .object({
    id: z.string(),
    registered_at: Timestamp,
    name: z.string().nullable().optional(),
    worker_token: z.string(),
    token_expires_at: Timestamp,
    token_ttl_seconds: z.number().int(),
  })
  .strict()
  .openapi('ComputeRegisterResponse');

export const ServerIdParams = z
  .object({
    server_id: z
      .string()
      .openapi({ param: { name: 'server_id', in: 'path' }, example: 'compute-0123456789abcdef0123456789abcdef' }),
  })
  .strict();

export const RevokedServer = z.object({ revoked_count: z.number().int() }).strict().openapi('ComputeRevokeResponse');

export const Lease = z
  .object({
    job_id: z.string(),
    payload: JsonObject,
    lease_id: z.string(),
    lease_ttl_seconds: z.number().int(),
    meta: JsonObject.optional(),
  })
  .strict()
  .openapi('ComputeLeaseResponse');

const LeaseId = z.string();

export const WorkerResult = z
  .object({
    lease_id: LeaseId,
    result: JsonObject,
    summary_text: z.string(),
    freqs_csv: z.string(),
    meta: JsonObject.optional(),
  })
  .strict()
  .openapi('ComputeResultRequest');

export const WorkerResultAccepted = z
  .object({ ok: z.boolean(), idempotent: z.boolean() })
  .strict()
  .openapi('ComputeResultResponse');

export const WorkerFailure = z
  .object({
    lease_id: LeaseId,
    error_code: z.string(),
    error_message: z.string(),
    traceback: z.string().nullable().optional(),
  })
  .strict()
  .openapi('ComputeFailedRequest');

export const WorkerFailureAccepted = z
  .object({ ok: z.boolean(), requeued: z.boolean(), retry_count: z.number().int() })
  .strict()
  .openapi('ComputeFailedResponse');

import { z } from '@hono/zod-openapi';

/** Every error code the gateway answers with, keyed by HTTP status (legacy-redis-layout.md, "Error envelope"). */
export const ERROR_CODES = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  410: 'gone',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'validation_error',
  429: 'rate_limited',
  500: 'internal_error',
  502: 'bad_gateway',
  503: 'service_unavailable',
  504: 'gateway_timeout',
} as const;

export type ErrorStatus = keyof typeof ERROR_CODES;
export type ErrorCode = (typeof ERROR_CODES)[ErrorStatus];

export const FieldError = z
  .object({
    type: z.string().openapi({
      description:
        'The kind of failure, as pydantic names it: `missing`, `extra_forbidden`, `literal_error`, `int_parsing`, `json_invalid`, ...',
    }),
    loc: z.array(z.union([z.string(), z.number().int()])).openapi({
      description:
        'Where the error is: `body` or `query`, then the field path (a list index as a number); for `json_invalid`, the character offset.',
    }),
    msg: z.string(),
    input: z.unknown().openapi({
      description: 'The value that failed (for `missing`, the object it is missing from), cut to a bounded size.',
    }),
    ctx: z.record(z.string(), z.unknown()).optional().openapi({
      description: 'Parameters of the failure, e.g. `{"expected": "\'summary\' or \'freqs\'"}`, `{"ge": 1}`.',
    }),
  })
  .openapi('FieldError');

export const ErrorBody = z
  .object({
    code: z.enum(Object.values(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]),
    message: z.string(),
    details: z.unknown().optional().openapi({
      description: 'Extra information; for `validation_error` a list of `FieldError`. Omitted when empty.',
    }),
  })
  .openapi('ErrorBody');

export const ErrorEnvelope = z.object({ error: ErrorBody }).openapi('ErrorEnvelope', {
  description: 'The body of every error response.',
});

export const ValidationErrorEnvelope = z
  .object({
    error: ErrorBody.extend({
      code: z.literal('validation_error'),
      details: z.array(FieldError),
    }),
  })
  .openapi('ValidationErrorEnvelope');

export type ErrorEnvelope = z.infer<typeof ErrorEnvelope>;
export type FieldError = z.infer<typeof FieldError>;

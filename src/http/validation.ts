import type { Context } from 'hono';
import type { ZodError } from 'zod';
import type { FieldError } from '../contract/schemas/errors.js';
import { ApiError } from './errors.js';

const LOCATION: Record<string, string> = {
  json: 'body',
  param: 'path',
  query: 'query',
  header: 'header',
  form: 'body',
};

export function fieldErrors(target: string, error: ZodError): FieldError[] {
  const where = LOCATION[target] ?? target;
  return error.issues.flatMap((issue) => {
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        loc: [where, ...path, key],
        msg: `unknown field '${key}'`,
        type: 'extra_forbidden',
      }));
    }
    const missing = issue.code === 'invalid_type' && issue.message.includes('received undefined');
    return [
      {
        loc: [where, ...path],
        msg: missing ? 'field required' : issue.message,
        type: missing ? 'missing' : issue.code,
      },
    ];
  });
}

/** The validation hook of every route: a request that breaks the contract gets 422 with each field error. */
export function contractViolation(result: { success: boolean; target: string; error?: unknown }, _c: Context) {
  if (!result.success) {
    const details = fieldErrors(result.target, result.error as ZodError);
    throw new ApiError(422, 'request does not match the contract', details);
  }
}

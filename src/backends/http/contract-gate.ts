import type { Operation } from '../../contract/operations.js';
import { NOT_JSON } from '../../http/answer.js';

function isEnvelope(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const error = (value as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return typeof code === 'string' && typeof message === 'string';
}

/**
 * What makes an upstream's answer unusable whatever the mode, so it becomes a 502: a status the
 * operation does not declare (999, an undeclared 500 with an HTML traceback), an error that is not
 * the JSON envelope, a JSON body that does not parse. Field-level checks of successful answers are
 * the next-gen check's (src/routing/response-check.ts). Undefined when nothing is wrong.
 */
export function outsideContract(
  operation: Operation,
  status: number,
  jsonMedia: boolean,
  parsed: unknown,
): string[] | undefined {
  if ((operation.responses as Record<string, unknown>)[String(status)] === undefined)
    return [`status ${status} is not declared`];
  if (jsonMedia && parsed === NOT_JSON) return ['body is not JSON'];
  if (status >= 400 && !isEnvelope(parsed)) return ['error body is not the JSON error envelope'];
  return undefined;
}

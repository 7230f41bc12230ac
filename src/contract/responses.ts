import { ERROR_CODES, ErrorEnvelope, type ErrorStatus, ValidationErrorEnvelope } from './schemas/errors.js';

const ERROR_DESCRIPTIONS: Record<ErrorStatus, string> = {
  400: 'The request is well-formed but cannot be carried out (e.g. no active queue target), or the body cannot be read (not text, nested too deeply).',
  401: 'Missing or invalid credentials.',
  403: 'Authenticated, but not allowed (someone else’s job, a revoked token, an email not on the allow list).',
  404: 'No such resource, or no such route under `/api/zpe/`.',
  405: 'The path exists, but not with this method; `Allow` lists its methods.',
  409: 'Conflicts with the resource’s state (lease mismatch, result already submitted, job failed, order guardrail).',
  410: 'The operation has been retired; `details.successor` names its replacement.',
  413: 'The request body exceeds the configured limit.',
  415: 'The body is not `application/json`.',
  422: 'The request breaks the contract (including a body that is not JSON); `details` lists each error as the legacy (pydantic) does.',
  429: 'Too many requests.',
  500: 'An unexpected failure inside the gateway.',
  502: 'The chosen backend answered with something the gateway could not use, or could not be reached.',
  503: 'The operation is turned off by a cutover flag, its backend is not configured, or Redis is unavailable.',
  504: 'The chosen backend did not answer in time.',
};

/** Response entries for the given error statuses, each with the documented envelope. */
export function errorResponses(...statuses: ErrorStatus[]) {
  const entries = [...new Set(statuses)]
    .sort((a, b) => a - b)
    .map((status) => [
      String(status),
      {
        description: `\`${ERROR_CODES[status]}\`: ${ERROR_DESCRIPTIONS[status]}`,
        content: { 'application/json': { schema: status === 422 ? ValidationErrorEnvelope : ErrorEnvelope } },
      },
    ]);
  return Object.fromEntries(entries) as Record<
    string,
    { description: string; content: { 'application/json': { schema: typeof ErrorEnvelope } } }
  >;
}

/** Statuses every routed operation can answer: the contract check, and a backend that is off, down, slow or broken. */
export const ROUTED: ErrorStatus[] = [422, 502, 503, 504];

/** Statuses an operation with a JSON body adds: a body that cannot be read (not text, nested too deeply), too large. */
export const WITH_BODY: ErrorStatus[] = [400, 413];

export function jsonBody<T>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

import { ERROR_CODES, type ErrorEnvelope, type ErrorStatus } from '../contract/schemas/errors.js';
import { jsonAnswer } from './answer.js';

/** An error the gateway answers with, in the documented envelope. Thrown anywhere below a handler. */
export class ApiError extends Error {
  constructor(
    readonly status: ErrorStatus,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get code() {
    return ERROR_CODES[this.status];
  }
}

export function isErrorStatus(status: number): status is ErrorStatus {
  return status in ERROR_CODES;
}

export function envelope(status: ErrorStatus, message: string, details?: unknown): ErrorEnvelope {
  const error: ErrorEnvelope['error'] = { code: ERROR_CODES[status], message };
  if (details !== undefined && !(Array.isArray(details) && details.length === 0)) error.details = details;
  return { error };
}

export function errorResponse(error: ApiError): Response {
  return jsonAnswer(envelope(error.status, error.message, error.details), error.status, error.headers);
}

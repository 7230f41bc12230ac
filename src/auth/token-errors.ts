import { errors } from 'jose';
import { ApiError } from '../http/errors.js';
import { JwksUnavailableError, SigningKeyNotFoundError } from './jwks.js';

const invalid = (reason: string) => new ApiError(401, `invalid token: ${reason}`);

const CLAIM_REASON: Record<string, string> = {
  iss: 'wrong issuer',
  aud: 'wrong audience',
  nbf: 'not yet valid',
  sub: 'missing sub claim',
  exp: 'missing exp claim',
  iat: 'bad iat claim',
};

/**
 * What the caller is told when verification fails: a short reason and never token content (jose's own
 * messages name claims, not values, so they are safe as a fallback).
 */
export function tokenError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof JwksUnavailableError) return new ApiError(503, 'identity provider unavailable');
  if (error instanceof SigningKeyNotFoundError) return invalid(error.message);
  if (error instanceof errors.JWTExpired) return invalid('expired');
  if (error instanceof errors.JWTClaimValidationFailed) return invalid(CLAIM_REASON[error.claim] ?? error.message);
  if (error instanceof errors.JOSEAlgNotAllowed) return invalid('algorithm not allowed');
  if (error instanceof errors.JWSSignatureVerificationFailed) return invalid('bad signature');
  if (error instanceof errors.JOSEError) return invalid('malformed token');
  throw error;
}

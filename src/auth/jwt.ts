import { type JWTVerifyOptions, jwtVerify } from 'jose';
import type { Config } from '../config/env.js';
import { ApiError } from '../http/errors.js';
import type { Logger } from '../observability/log.js';
import { allowedEmailsGate } from './allowed-emails.js';
import { bearerToken, type User, type UserAuthenticator } from './identity.js';
import { createJwksKeyStore, jwksLocation } from './jwks.js';
import { tokenError } from './token-errors.js';
import { markVerified } from './verified.js';

/** Asymmetric only: HS* would let anyone holding a public key forge tokens, and `none` is no signature at all. */
export const ALLOWED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'EdDSA'];

export interface JwtAuthenticatorOptions {
  /** How the JWKS is fetched; defaults to the runtime's global fetch. */
  fetch?: typeof fetch;
  /** How long fetched signing keys are trusted before the JWKS is read again (default 10 minutes). */
  cacheTtlMs?: number;
  /** Minimum time between JWKS fetches caused by an unknown `kid` (default 30 s), so forged kids cannot hammer the issuer. */
  refetchCooldownMs?: number;
  /** Where JWKS failures are reported (never with token content). */
  logger?: Logger;
}

/** Users from `Authorization: Bearer <JWT>` signed by a key of the issuer's JWKS (OIDC discovery, or AUTH_JWKS_URL). */
export function createJwtAuthenticator(auth: Config['auth'], options: JwtAuthenticatorOptions = {}): UserAuthenticator {
  if (!auth.issuer) {
    return {
      async authenticate() {
        throw new ApiError(503, 'identity provider not configured: set AUTH_CLERK_ISSUER');
      },
    };
  }
  const issuer = auth.issuer.replace(/\/+$/, '');
  // Called unbound: Workers' fetch throws "Illegal invocation" when called as a method of another object.
  const fetcher: typeof fetch = options.fetch ?? ((input, init) => fetch(input, init));
  const keys = createJwksKeyStore({
    url: jwksLocation({ issuer, jwksUrl: auth.jwksUrl, fetch: fetcher, fetchTimeoutMs: 5_000, logger: options.logger }),
    fetch: fetcher,
    cacheTtlMs: options.cacheTtlMs ?? 10 * 60_000,
    refetchCooldownMs: options.refetchCooldownMs ?? 30_000,
    fetchTimeoutMs: 5_000,
    logger: options.logger,
  });
  const requireExp = auth.requireExp ?? true;
  const skewSeconds = auth.clockSkewSeconds ?? 5;
  const verifyOptions: JWTVerifyOptions = {
    algorithms: ALLOWED_ALGORITHMS,
    // Issuers are written with and without a trailing slash; both name the same issuer.
    issuer: [issuer, `${issuer}/`],
    audience: auth.audience,
    // A token without `exp` would be valid forever once leaked; refused unless AUTH_REQUIRE_EXP=false.
    requiredClaims: requireExp ? ['sub', 'exp'] : ['sub'],
    // The one bound on clock disagreement with the issuer, for `exp`, `nbf` and `iat` alike.
    clockTolerance: skewSeconds,
  };
  const gate = allowedEmailsGate(auth.allowedEmails);

  return {
    async authenticate(request) {
      const token = bearerToken(request);
      if (token === undefined) throw new ApiError(401, 'missing bearer token');
      let claims: Record<string, unknown>;
      try {
        ({ payload: claims } = await jwtVerify(token, (header) => keys.getKey(header), verifyOptions));
      } catch (error) {
        throw tokenError(error);
      }
      const { sub, email, iat } = claims;
      // jose checks `iat` only against a maximum age; a token issued in the future is refused here.
      if (typeof iat === 'number' && iat > Date.now() / 1000 + skewSeconds)
        throw new ApiError(401, 'invalid token: issued in the future');
      if (typeof sub !== 'string' || sub.trim() === '') throw new ApiError(401, 'invalid token: missing sub claim');
      const user: User = { id: sub };
      if (typeof email === 'string' && email.trim() !== '') user.email = email.trim();
      gate(user);
      markVerified(request, { kind: 'user', id: user.id });
      return user;
    },
  };
}

import type { Config } from '../config/env.js';
import { createAdminTokenAuthenticator } from './admin.js';
import { createDevBypassAuthenticator } from './dev-bypass.js';
import type { AdminAuthenticator, UserAuthenticator } from './identity.js';
import { createJwtAuthenticator, type JwtAuthenticatorOptions } from './jwt.js';

export type { AdminAuthenticator, User, UserAuthenticator } from './identity.js';
export { bearerToken } from './identity.js';

export type { JwtAuthenticatorOptions as UserAuthenticatorOptions } from './jwt.js';

/** The user identity of the configured AUTH_MODE: JWT against the issuer's JWKS, or development headers. */
export function createUserAuthenticator(
  auth: Config['auth'],
  options: JwtAuthenticatorOptions = {},
): UserAuthenticator {
  if (auth.mode === 'dev-bypass') return createDevBypassAuthenticator(auth);
  return createJwtAuthenticator(auth, options);
}

/** The operator identity: the `ZPE_ADMIN_TOKEN` bearer token; with none configured, admin operations are refused. */
export function createAdminAuthenticator(adminToken: string | undefined): AdminAuthenticator {
  return createAdminTokenAuthenticator(adminToken);
}

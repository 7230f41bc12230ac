import { ApiError } from '../http/errors.js';
import { constantTimeMatcher } from './constant-time.js';
import { type AdminAuthenticator, bearerToken } from './identity.js';
import { markVerified } from './verified.js';

/**
 * Admin by the `ZPE_ADMIN_TOKEN` bearer token. A wrong token is 401 like a missing one (the caller failed to
 * authenticate); 403 is kept for "admin disabled", which no token can fix. With no token configured every
 * admin operation is refused: the legacy control plane let everyone in, and that must not be copied.
 */
export function createAdminTokenAuthenticator(adminToken: string | undefined): AdminAuthenticator {
  if (adminToken === undefined || adminToken === '') {
    return {
      isAdmin: () => false,
      require() {
        throw new ApiError(403, 'admin operations disabled: no ZPE_ADMIN_TOKEN configured');
      },
    };
  }
  const matches = constantTimeMatcher(adminToken);
  return {
    isAdmin(request) {
      const token = bearerToken(request);
      const admin = token !== undefined && matches(token);
      if (admin) markVerified(request, { kind: 'admin' });
      return admin;
    },
    require(request) {
      const token = bearerToken(request);
      if (token === undefined) throw new ApiError(401, 'missing admin token');
      if (!matches(token)) throw new ApiError(401, 'invalid admin token');
      markVerified(request, { kind: 'admin' });
    },
  };
}

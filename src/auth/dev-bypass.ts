import type { Config } from '../config/env.js';
import { ApiError } from '../http/errors.js';
import { allowedEmailsGate } from './allowed-emails.js';
import type { UserAuthenticator } from './identity.js';
import { markVerified } from './verified.js';

/** Development only: the user named by request headers, trusted as is. */
export function createDevBypassAuthenticator(auth: Config['auth']): UserAuthenticator {
  const gate = allowedEmailsGate(auth.allowedEmails);
  return {
    async authenticate(request) {
      const id = request.headers.get(auth.devUserIdHeader)?.trim();
      if (!id) throw new ApiError(401, `missing ${auth.devUserIdHeader} header`);
      const email = request.headers.get(auth.devEmailHeader)?.trim();
      const user = gate(email ? { id, email } : { id });
      markVerified(request, { kind: 'user', id: user.id });
      return user;
    },
  };
}

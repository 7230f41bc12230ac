// Bundled and run inside workerd by workers.test.ts: the identity code as a Worker would use it.

import type { UserAuthenticator } from '../../src/auth/index.js';
import { type AdminAuthenticator, createAdminAuthenticator, createUserAuthenticator } from '../../src/auth/index.js';
import { loadConfig } from '../../src/config/env.js';
import { ApiError, errorResponse } from '../../src/http/errors.js';

let users: UserAuthenticator | undefined;
let admin: AdminAuthenticator | undefined;

export default {
  async fetch(request: Request, env: Record<string, string>): Promise<Response> {
    const config = loadConfig(env);
    // One authenticator per isolate, as a deployed Worker keeps it: the JWKS cache lives across requests.
    users ??= createUserAuthenticator(config.auth);
    admin ??= createAdminAuthenticator(config.adminToken);
    try {
      if (new URL(request.url).pathname === '/admin') {
        admin.require(request);
        return Response.json({ admin: admin.isAdmin(request) });
      }
      return Response.json(await users.authenticate(request));
    } catch (error) {
      if (error instanceof ApiError) return errorResponse(error);
      throw error;
    }
  },
};

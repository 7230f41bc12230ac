import { attached } from '../http/attached.js';
import type { User, UserAuthenticator } from './identity.js';

/**
 * The request's user, resolved at most once per request and shared by everyone who asks: routing
 * (which needs the user id when a rollout splits the operation) and the backend (which checks it as
 * always). A JWT is verified once; a failure is the same failure for both.
 */
export function oncePerRequest(users: UserAuthenticator): UserAuthenticator {
  const resolved = attached<Request, Promise<User>>('resolved user');
  return {
    authenticate(request) {
      let user = resolved.get(request);
      if (!user) {
        user = users.authenticate(request);
        resolved.set(request, user);
      }
      return user;
    },
  };
}

/** The user id for routing: undefined when the request has no valid user (the backend refuses it as before). */
export function routingUserOf(users: UserAuthenticator): (request: Request) => Promise<string | undefined> {
  return async (request) => {
    try {
      return (await users.authenticate(request)).id;
    } catch {
      return undefined;
    }
  };
}

import type { Context, Env, Hono } from 'hono';
import { answerOf } from './answer.js';
import { ApiError, errorResponse } from './errors.js';

/**
 * What a request no route answers gets, all in the envelope except the redirect:
 * - a path the gateway serves with other methods: 405 with `Allow` listing every method it serves
 *   there (HEAD with GET), OPTIONS and TRACE included (the legacy answers 405 too, but lists only the
 *   first route's methods and not in the envelope);
 * - a path that only differs by trailing slashes from one it serves: 307 to that path, query kept, as
 *   the legacy (Starlette's redirect_slashes) answers; the Location is relative, so it stays right
 *   behind proxies and cannot point to another host;
 * - anything else: 404 (the legacy: `{"detail":"Not Found"}`).
 */

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** Methods some route (not a middleware) of `app` serves at `path`, in a fixed order. */
export function allowedMethods<E extends Env>(app: Hono<E>, path: string): string[] {
  const allowed: string[] = [];
  for (const method of METHODS) {
    const [matches] = app.router.match(method, path);
    if (matches.some(([[, route]]) => route.method === method)) {
      allowed.push(method);
      if (method === 'GET') allowed.push('HEAD');
    }
  }
  return allowed;
}

function withoutTrailingSlashes(path: string): string {
  let end = path.length;
  while (end > 0 && path[end - 1] === '/') end--;
  return path.slice(0, end);
}

export function unmatchedRoute<E extends Env>(app: Hono<E>) {
  return (c: Context<E>): Response => {
    const path = c.req.path;
    const allowed = allowedMethods(app, path);
    if (allowed.length > 0) {
      return errorResponse(new ApiError(405, 'Method Not Allowed', undefined, { Allow: allowed.join(', ') }));
    }
    if (path.length > 1 && path.endsWith('/')) {
      const bare = withoutTrailingSlashes(path);
      if (bare !== '' && allowedMethods(app, bare).length > 0) {
        // The URL's own spelling (percent-encoded), so the header holds only what a header can.
        const url = new URL(c.req.url);
        return answerOf(null, 307, { location: `${withoutTrailingSlashes(url.pathname)}${url.search}` });
      }
    }
    return errorResponse(new ApiError(404, `no route for ${c.req.method} ${path}`));
  };
}

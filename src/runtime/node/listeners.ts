import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Http2Bindings, type HttpBindings, type ServerType, serve } from '@hono/node-server';
import type { Config } from '../../config/env.js';
import { OPERATIONS } from '../../contract/operations.js';
import { ADMIN } from '../../contract/security.js';
import { ApiError, errorResponse } from '../../http/errors.js';
import type { Logger } from '../../observability/log.js';
import { hardenNodeServer, nodeServerOptions } from './http-server.js';

type Fetch = (request: Request, env: HttpBindings | Http2Bindings) => Response | Promise<Response>;

export interface Listener {
  /** `public` (PORT) or `admin` (ZPE_ADMIN_PORT). */
  name: 'public' | 'admin';
  server: ServerType;
  port: number;
}

/** Paths of the runtime's own operator routes: the callers report, metrics, the operator page. */
const OPERATOR_ROUTES = [/^\/admin(\/|$)/, /^\/metrics$/, /^\/_gateway(\/|$)/];
/** Answered on both listeners: probes and the reference. */
const EVERYWHERE = [/^\/healthz$/, /^\/readyz$/, /^\/docs(\/|$)/, /^\/api\/openapi\.json$/];

/** The contract's admin-only operations (admin bearer, nothing else), as method + path pattern. */
const ADMIN_OPERATIONS = OPERATIONS.filter((op) => op.security === ADMIN).map((op) => ({
  method: op.method.toUpperCase(),
  path: new RegExp(`^${op.path.replace(/\{[^}]+\}/g, '[^/]+')}/?$`),
}));

/** The path of a request URL without parsing all of it (this runs on every request). */
function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  if (start < 0) return '/';
  const end = url.slice(start).search(/[?#]/);
  return end < 0 ? url.slice(start) : url.slice(start, start + end);
}

/** Whether a request belongs on the admin listener: the admin operations and the operator routes. */
export function isAdminRequest(method: string, path: string): boolean {
  if (OPERATOR_ROUTES.some((route) => route.test(path))) return true;
  return ADMIN_OPERATIONS.some((op) => op.method === method && op.path.test(path));
}

function refused(request: Request, path: string, where: string): Response {
  return errorResponse(new ApiError(404, `no route for ${request.method} ${path} on this listener (${where})`));
}

/** The app as one listener serves it: everything (no admin listener), or its half. */
export function listenerFetch(fetch: Fetch, side: 'all' | 'public' | 'admin'): Fetch {
  if (side === 'all') return fetch;
  return (request, env) => {
    const path = pathOf(request.url);
    if (EVERYWHERE.some((route) => route.test(path))) return fetch(request, env);
    const admin = isAdminRequest(request.method, path);
    if (side === 'public' && admin) return refused(request, path, 'admin operations are on the admin listener');
    if (side === 'admin' && !admin) return refused(request, path, 'the admin listener serves admin operations only');
    return fetch(request, env);
  };
}

async function listen(
  name: Listener['name'],
  fetch: Fetch,
  port: number,
  hostname: string,
  config: Config,
  logger: Logger,
): Promise<Listener> {
  const server = serve({ fetch, port, hostname, serverOptions: nodeServerOptions(config) });
  hardenNodeServer(server as Server, config, logger);
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([err]) => {
      throw err;
    }),
  ]);
  return { name, server, port: (server.address() as AddressInfo).port };
}

/**
 * The public listener (HOST:PORT) and, with ZPE_ADMIN_PORT, the admin one (ZPE_ADMIN_HOST, default
 * 127.0.0.1), which then alone serves the admin operations, /admin/*, /metrics and /_gateway.
 */
export async function startListeners(fetch: Fetch, config: Config, logger: Logger): Promise<Listener[]> {
  const admin = config.adminListener;
  const listeners = [
    await listen('public', listenerFetch(fetch, admin ? 'public' : 'all'), config.port, config.host, config, logger),
  ];
  if (admin)
    listeners.push(await listen('admin', listenerFetch(fetch, 'admin'), admin.port, admin.host, config, logger));
  for (const l of listeners) logger.info('listening', { port: l.port, listener: l.name });
  return listeners;
}

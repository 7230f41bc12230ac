/**
 * `npm run nextgen`: the reference next-gen service (service.ts) on its own port, so the README's
 * operator walk can move traffic to a next-gen that exists. In memory: a restart forgets everything.
 *
 *   NEXTGEN_PORT (8788), NEXTGEN_HOST (127.0.0.1), NEXTGEN_BASE_PATH (/api/zpe; the gateway's
 *   ZPE_NEXTGEN_BASE_PATH must match), NEXTGEN_ADMIN_TOKEN (nextgen-admin-token: the gateway's
 *   ZPE_NEXTGEN_ADMIN_TOKEN). Users come from the X-Dev-User-Id header, as with `npm run dev`.
 */
import { serve } from '@hono/node-server';
import { operationId } from '../../src/contract/operations.js';
import { createGateway } from '../../src/http/app.js';
import { ApiError, errorResponse } from '../../src/http/errors.js';
import { jsonLogger } from '../../src/observability/log.js';
import { StandinService } from './service.js';

const CONTRACT_BASE = '/api/zpe';
const env = process.env;
const port = Number(env.NEXTGEN_PORT ?? 8788);
const host = env.NEXTGEN_HOST ?? '127.0.0.1';
const basePath = (env.NEXTGEN_BASE_PATH ?? CONTRACT_BASE).replace(/\/+$/, '');
const logger = jsonLogger('info');

const service = new StandinService({
  adminToken: env.NEXTGEN_ADMIN_TOKEN ?? 'nextgen-admin-token',
  userHeader: 'X-Dev-User-Id',
  parse: true,
  queueName: 'zpe',
  leaseTtlSeconds: 600,
  retryMax: 3,
  retryDelaySeconds: 10,
  enrollTtlSeconds: 3600,
  workerTokenTtlSeconds: 604800,
});

// The gateway's contract layer validates requests exactly as a next-gen service must.
const app = createGateway({
  logger,
  maxBodyBytes: 4 * 1024 * 1024,
  dispatch: async (call) => {
    try {
      return await service.serve(operationId(call.operation), call);
    } catch (err) {
      if (err instanceof ApiError) return errorResponse(err);
      throw err;
    }
  },
});

const server = serve({
  port,
  hostname: host,
  fetch: (request: Request) => {
    const url = new URL(request.url);
    if (url.pathname === '/healthz') return Response.json({ status: 'ok' });
    if (url.pathname !== basePath && !url.pathname.startsWith(`${basePath}/`)) {
      return errorResponse(new ApiError(404, `no route for ${request.method} ${url.pathname}`));
    }
    url.pathname = `${CONTRACT_BASE}${url.pathname.slice(basePath.length)}`;
    return app.fetch(new Request(url, request));
  },
});
server.on('listening', () => logger.info('reference next-gen listening', { port, base_path: basePath }));

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

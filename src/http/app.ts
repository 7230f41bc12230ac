import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { buildDocument } from '../contract/document.js';
import { OPERATIONS, type Operation } from '../contract/operations.js';
import { honoPath, type LifecycleOptions, lifecycleOf, mountLifecycle } from '../lifecycle/http.js';
import type { Logger } from '../observability/log.js';
import { docsPage, SWAGGER_UI_CDN } from './docs.js';
import { ApiError, errorResponse, isErrorStatus } from './errors.js';
import { requestIdOf } from './request-id.js';
import { unmatchedRoute } from './unmatched.js';
import { requestValidator } from './validation.js';

/** One validated request for one contract operation, handed to whoever serves it. */
export interface OperationCall {
  operation: Operation;
  params: Record<string, string>;
  query: Record<string, unknown>;
  /** The validated JSON body (re-serialised when forwarded), or undefined for operations without one. */
  body: unknown;
  request: Request;
  requestId: string;
  /** The address of the client that connected, when the runtime knows it (for x-forwarded-for). */
  clientAddress?: string;
}

export type Dispatch = (call: OperationCall) => Promise<Response>;

export interface GatewayOptions {
  dispatch: Dispatch;
  logger: Logger;
  maxBodyBytes: number;
  /** JSON bodies nested deeper are refused with 400 (default 64). */
  maxJsonDepth?: number;
  /** Extra, runtime-specific routes (docs assets, metrics) mounted before the catch-all 404. */
  extend?: (app: OpenAPIHono<GatewayEnv>) => void;
  /** The connecting client's address; runtime-specific (Node: the socket; Workers: cf-connecting-ip). */
  clientAddress?: (c: Context) => string | undefined;
  /** The routing state's version, for answers that were not routed (x-zpe-flags-version). */
  flagsVersion?: () => Promise<string>;
  /** Where /docs loads Swagger UI from (default: a CDN; Node serves its own copy). */
  docsAssetBase?: string;
  /** Readiness of what the gateway depends on (Redis, upstreams): 503 unless `ok`, with `body` as the answer. */
  ready?: () => Promise<{ ok: boolean; body: object }>;
  /** The retirement (routes/retirement.json by default): removed operations answer 410, deprecated ones say so. */
  lifecycle?: LifecycleOptions;
}

export type GatewayEnv = { Variables: { requestId: string } };

function toErrorResponse(err: unknown, logger: Logger, requestId: string): Response {
  if (err instanceof ApiError) return errorResponse(err);
  if (err instanceof HTTPException) {
    const status = err.status;
    if (status === 413) return errorResponse(new ApiError(413, 'request body too large'));
    if (isErrorStatus(status)) return errorResponse(new ApiError(status, err.message || 'request refused'));
  }
  logger.error('unhandled error', { request_id: requestId, error: err instanceof Error ? err.message : String(err) });
  return errorResponse(new ApiError(500, 'internal error'));
}

/**
 * The gateway as a Web-standard app: every contract operation validated and handed to `dispatch`,
 * plus the contract itself, health and the catch-all 404, all errors in the envelope.
 */
export function createGateway(options: GatewayOptions): OpenAPIHono<GatewayEnv> {
  const { dispatch, logger } = options;
  const app = new OpenAPIHono<GatewayEnv>();
  const lifecycle = lifecycleOf(options.lifecycle);

  app.use('*', async (c, next) => {
    const requestId = requestIdOf(c.req.header('x-request-id'));
    c.set('requestId', requestId);
    const started = performance.now();
    await next();
    c.res.headers.set('x-request-id', requestId);
    // Answers no backend was asked for (the contract refused the request, no such route) say so too.
    if (!c.res.headers.has('x-zpe-backend') && options.flagsVersion) {
      c.res.headers.set('x-zpe-backend', 'gateway');
      c.res.headers.set('x-zpe-route-reason', c.res.status === 404 ? 'no-route' : 'gateway');
      c.res.headers.set('x-zpe-flags-version', await options.flagsVersion());
    }
    logger.info('request', {
      request_id: requestId,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      duration_ms: Math.round((performance.now() - started) * 10) / 10,
      backend: c.res.headers.get('x-zpe-backend') ?? undefined,
      route_reason: c.res.headers.get('x-zpe-route-reason') ?? undefined,
      flags_version: c.res.headers.get('x-zpe-flags-version') ?? undefined,
    });
  });

  app.use(
    '/api/*',
    bodyLimit({
      maxSize: options.maxBodyBytes,
      onError: () => {
        throw new ApiError(413, `request body exceeds ${options.maxBodyBytes} bytes`);
      },
    }),
  );

  for (const operation of OPERATIONS) {
    if (!mountLifecycle(app, operation, lifecycle, options.lifecycle)) continue;
    const validate = requestValidator(operation, options.maxJsonDepth);
    app.on(operation.method.toUpperCase(), honoPath(operation.path), async (c) => {
      const { params, query, body } = await validate(c);
      return dispatch({
        operation,
        params,
        query,
        body,
        request: c.req.raw,
        requestId: c.get('requestId'),
        clientAddress: options.clientAddress?.(c),
      });
    });
  }

  const document = buildDocument(lifecycle);
  app.get('/api/openapi.json', (c) => c.json(document));
  const docs = docsPage(options.docsAssetBase ?? SWAGGER_UI_CDN);
  app.get('/docs', (c) => c.html(docs));
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const report = options.ready ? await options.ready() : { ok: true, body: { status: 'ready', checks: {} } };
    return c.json(report.body, report.ok ? 200 : 503);
  });
  options.extend?.(app);

  app.notFound(unmatchedRoute(app));
  app.onError((err, c) => toErrorResponse(err, logger, c.get('requestId') ?? 'unknown'));
  return app;
}

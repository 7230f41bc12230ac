import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { buildDocument } from '../contract/document.js';
import { OPERATIONS, type Operation } from '../contract/operations.js';
import { type LifecycleOptions, lifecycleOf, mountLifecycle } from '../lifecycle/http.js';
import type { Logger } from '../observability/log.js';
import { docsPage, SWAGGER_UI_CDN } from './docs.js';
import { ApiError, errorResponse, isErrorStatus } from './errors.js';
import { contractViolation } from './validation.js';

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
  /** Extra, runtime-specific routes (docs assets, metrics) mounted before the catch-all 404. */
  extend?: (app: OpenAPIHono<GatewayEnv>) => void;
  /** The connecting client's address; runtime-specific (Node: the socket; Workers: cf-connecting-ip). */
  clientAddress?: (c: Context) => string | undefined;
  /** The routing state's version, for answers that were not routed (x-zpe-flags-version). */
  flagsVersion?: () => Promise<string>;
  /** Where /docs loads Swagger UI from (default: a CDN; Node serves its own copy). */
  docsAssetBase?: string;
  /** Readiness of what the gateway depends on (Redis, upstreams). */
  ready?: () => Promise<{ ok: boolean; checks: Record<string, string> }>;
  /** The retirement (routes/retirement.json by default): removed operations answer 410, deprecated ones say so. */
  lifecycle?: LifecycleOptions;
}

export type GatewayEnv = { Variables: { requestId: string; operation?: string } };

const REQUEST_ID = /^[\w.:-]{1,128}$/;

function incomingRequestId(c: Context): string {
  const given = c.req.header('x-request-id');
  return given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
}

/**
 * The body limit from Content-Length, so a request without a chunked body is never read here (reading
 * it would make @hono/node-server build a full Web Request); only chunked bodies are counted, by
 * hono's own middleware.
 */
function requestBodyLimit(maxBytes: number): MiddlewareHandler {
  const tooLarge = () => {
    throw new ApiError(413, `request body exceeds ${maxBytes} bytes`);
  };
  const counted = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  return async (c, next) => {
    if (c.req.header('transfer-encoding') !== undefined) return counted(c, next);
    const length = c.req.header('content-length');
    if (length !== undefined && Number(length) > maxBytes) tooLarge();
    return next();
  };
}

/**
 * Whether the client closed its connection (e.g. in the middle of its body). Asked only for answers
 * that failed, after they were answered: the runtime may notice the close a moment after the body
 * read failed, hence one turn.
 */
async function clientWentAway(c: Context): Promise<boolean> {
  const signal = c.req.raw.signal;
  if (signal.aborted) return true;
  await new Promise((resolve) => setTimeout(resolve, 0));
  return signal.aborted;
}

function toErrorResponse(err: unknown, logger: Logger, requestId: string, c: Context): Response {
  if (err instanceof ApiError) return errorResponse(err);
  if (err instanceof HTTPException) {
    const status = err.status;
    if (status === 400) return errorResponse(new ApiError(400, 'request body is not valid JSON'));
    if (status === 413) return errorResponse(new ApiError(413, 'request body too large'));
    if (status === 415) return errorResponse(new ApiError(415, 'request body must be application/json'));
    if (isErrorStatus(status)) return errorResponse(new ApiError(status, err.message || 'request refused'));
  }
  const error = err instanceof Error ? err.message : String(err);
  // A body cut off by a client that went away is not the gateway's failure: the request line says so.
  void clientWentAway(c).then((gone) => {
    if (!gone) logger.error('unhandled error', { request_id: requestId, error });
  });
  return errorResponse(
    new ApiError(
      c.req.raw.signal.aborted ? 400 : 500,
      c.req.raw.signal.aborted ? 'request aborted by the client' : 'internal error',
    ),
  );
}

/**
 * The gateway as a Web-standard app: every contract operation validated and handed to `dispatch`,
 * plus the contract itself, health and the catch-all 404, all errors in the envelope.
 */
export function createGateway(options: GatewayOptions): OpenAPIHono<GatewayEnv> {
  const { dispatch, logger } = options;
  const app = new OpenAPIHono<GatewayEnv>({ defaultHook: contractViolation });
  const lifecycle = lifecycleOf(options.lifecycle);

  app.use('*', async (c, next) => {
    const requestId = incomingRequestId(c);
    c.set('requestId', requestId);
    const started = performance.now();
    await next();
    // The handler's answer as it is: a lightweight Response on Node stays one (status and headers only).
    const res = c.res;
    const headers = res.headers;
    headers.set('x-request-id', requestId);
    let backend = headers.get('x-zpe-backend');
    // Answers no backend was asked for (the contract refused the request, no such route) say so too.
    if (backend === null && options.flagsVersion) {
      backend = 'gateway';
      headers.set('x-zpe-backend', backend);
      headers.set('x-zpe-route-reason', res.status === 404 ? 'no-route' : 'gateway');
      headers.set('x-zpe-flags-version', await options.flagsVersion());
    }
    // The one place a request is accounted for (log line; metrics hook in here).
    const record = {
      request_id: requestId,
      method: c.req.method,
      path: c.req.path,
      operation: c.get('operation'),
      status: res.status,
      duration_ms: Math.round((performance.now() - started) * 10) / 10,
      backend: backend ?? undefined,
      route_reason: headers.get('x-zpe-route-reason') ?? undefined,
      flags_version: headers.get('x-zpe-flags-version') ?? undefined,
    };
    if (res.status < 400) logger.info('request', record);
    else void clientWentAway(c).then((gone) => logger.info(gone ? 'client aborted the request' : 'request', record));
  });

  app.use('/api/*', requestBodyLimit(options.maxBodyBytes));

  for (const operation of OPERATIONS) {
    if (!mountLifecycle(app, operation, lifecycle, options.lifecycle)) continue;
    app.openapi(operation, async (c) => {
      c.set('operation', operation.operationId as string);
      const valid = c.req.valid.bind(c.req) as (target: string) => unknown;
      const parts = operation.request ?? {};
      return dispatch({
        operation,
        params: parts.params ? (valid('param') as Record<string, string>) : {},
        query: parts.query ? (valid('query') as Record<string, unknown>) : {},
        body: parts.body ? valid('json') : undefined,
        request: c.req.raw,
        requestId: c.get('requestId'),
        clientAddress: options.clientAddress?.(c),
      }) as never;
    });
  }

  const document = buildDocument(lifecycle);
  app.get('/api/openapi.json', (c) => c.json(document));
  const docs = docsPage(options.docsAssetBase ?? SWAGGER_UI_CDN);
  app.get('/docs', (c) => c.html(docs));
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const report = options.ready ? await options.ready() : { ok: true, checks: {} };
    return c.json({ status: report.ok ? 'ready' : 'not ready', checks: report.checks }, report.ok ? 200 : 503);
  });
  options.extend?.(app);

  app.notFound((c) => errorResponse(new ApiError(404, `no route for ${c.req.method} ${c.req.path}`)));
  app.onError((err, c) => toErrorResponse(err, logger, c.get('requestId') ?? 'unknown', c));
  return app;
}

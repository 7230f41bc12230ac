import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { buildDocument } from '../contract/document.js';
import { OPERATIONS, type Operation, type OperationId, operationId } from '../contract/operations.js';
import { honoPath, type LifecycleOptions, lifecycleOf, mountLifecycle } from '../lifecycle/http.js';
import type { Logger } from '../observability/log.js';
import {
  type RequestRecord,
  type RequestTiming,
  type RequestTracer,
  traceIdOf,
} from '../observability/request-record.js';
import { answerHeader, replaceAnswer, withAnswerHeaders } from './answer.js';
import type { ClientGone } from './client-gone.js';
import { docsPage, SWAGGER_UI_CDN } from './docs.js';
import { ApiError, errorResponse, isErrorStatus } from './errors.js';
import { requestIdOf } from './request-id.js';
import { unmatchedRoute } from './unmatched.js';
import { requestValidator, type ValidatedRequest } from './validation.js';

/** One validated request for one contract operation, handed to whoever serves it. */
export interface OperationCall {
  operation: Operation;
  params: Record<string, string>;
  query: Record<string, unknown>;
  /** The validated JSON body, or undefined for operations without one. */
  body: unknown;
  /** `body` as JSON text made from the text received (validatedText in ./validation.ts), forwarded instead of serialising `body`. */
  bodyText?: string;
  request: Request;
  requestId: string;
  /** The address of the client that connected, when the runtime knows it (for x-forwarded-for). */
  clientAddress?: string;
  /** The client's going away: what stops an upstream call it no longer waits for (default: the request's signal). */
  clientGone?: ClientGone;
  /** Where the time spent in backends is added up for the request's log line and metrics. */
  timing?: RequestTiming;
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
  /** How the runtime tells that the client went away (default: the request's signal). */
  clientGone?: (c: Context) => ClientGone;
  /** The routing state's version, for answers that were not routed (x-zpe-flags-version). */
  flagsVersion?: () => Promise<string>;
  /** Where /docs loads Swagger UI from (default: a CDN; Node serves its own copy). */
  docsAssetBase?: string;
  /** Readiness of what the gateway depends on (Redis, upstreams): 503 unless `ok`, with `body` as the answer. */
  ready?: () => Promise<{ ok: boolean; body: object }>;
  /** The retirement (routes/retirement.json by default): removed operations answer 410, deprecated ones say so. */
  lifecycle?: LifecycleOptions;
  /** Runs each request inside a trace span (src/observability/tracing.ts); without it, the client's trace id is logged. */
  trace?: RequestTracer;
  /** Called once per request where its log line is written, with the same values: metrics, the operator page. */
  onRequestDone?: (record: RequestRecord) => void;
}

export type GatewayEnv = {
  Variables: { requestId: string; operation: OperationId | undefined; timing: RequestTiming };
};

/**
 * The body limit from Content-Length, so a request without a chunked body is never read here (reading
 * it would make @hono/node-server build a full Web Request); only chunked bodies are counted, by
 * hono's own middleware. Run in place of `next` by the first middleware (one layer fewer per request);
 * applies under /api/.
 */
function requestBodyLimit(maxBytes: number): (c: Context, next: () => Promise<void>) => Promise<void> {
  const message = `request body exceeds ${maxBytes} bytes`;
  const counted = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ApiError(413, message);
    },
  });
  return (c, next) => {
    if (!c.req.path.startsWith('/api/')) return next();
    if (c.req.header('transfer-encoding') !== undefined) return counted(c, next).then(() => undefined);
    const length = c.req.header('content-length');
    if (length === undefined || Number(length) <= maxBytes) return next();
    c.res = errorResponse(new ApiError(413, message));
    return Promise.resolve();
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
    if (status === 413) return errorResponse(new ApiError(413, 'request body too large'));
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

/** The request's log line. */
function logRequest(logger: Logger, record: RequestRecord, c: Context): void {
  const line = {
    request_id: record.requestId,
    method: record.method,
    path: record.path,
    operation: record.operation,
    status: record.status,
    duration_ms: Math.round(record.durationSeconds * 10_000) / 10,
    upstream_ms: record.upstreamSeconds === undefined ? undefined : Math.round(record.upstreamSeconds * 10_000) / 10,
    backend: record.backend,
    route_reason: record.routeReason,
    flags_version: record.flagsVersion,
    trace_id: record.traceId,
  };
  // A failed answer to a client that already went away (e.g. mid-body) is its abort, not a failure.
  logger.info(record.status >= 400 && c.req.raw.signal.aborted ? 'client aborted the request' : 'request', line);
}

/**
 * The gateway as a Web-standard app: every contract operation validated and handed to `dispatch`,
 * plus the contract itself, health and the catch-all 404, all errors in the envelope.
 */
export function createGateway(options: GatewayOptions): OpenAPIHono<GatewayEnv> {
  const { dispatch, logger } = options;
  const app = new OpenAPIHono<GatewayEnv>();
  const lifecycle = lifecycleOf(options.lifecycle);
  const limited = requestBodyLimit(options.maxBodyBytes);

  app.use('*', async (c, next) => {
    const requestId = requestIdOf(c.req.header('x-request-id'));
    c.set('requestId', requestId);
    const timing: RequestTiming = { upstreamMs: 0, calls: 0, open: true };
    c.set('timing', timing);
    const started = performance.now();
    let trace: Awaited<ReturnType<RequestTracer>> | undefined;
    if (options.trace) trace = await options.trace(c.req.raw, () => limited(c, next));
    else await limited(c, next);
    timing.open = false;
    // The handler's answer, its head read and marked without asking the Response (./answer.ts).
    const res = c.res;
    const marks: Record<string, string> = { 'x-request-id': requestId };
    let backend = answerHeader(res, 'x-zpe-backend');
    // Answers no backend was asked for (the contract refused the request, no such route) say so too.
    if (backend === null && options.flagsVersion) {
      backend = 'gateway';
      marks['x-zpe-backend'] = backend;
      marks['x-zpe-route-reason'] = res.status === 404 ? 'no-route' : 'gateway';
      marks['x-zpe-flags-version'] = await options.flagsVersion();
    }
    // Routed answers carry the request id already (dispatch sets it with the routing marks).
    if (marks['x-zpe-backend'] !== undefined || answerHeader(res, 'x-request-id') !== requestId) {
      replaceAnswer(c, withAnswerHeaders(res, marks));
    }
    const mark = (name: string) => marks[name] ?? answerHeader(res, name) ?? undefined;
    const record: RequestRecord = {
      requestId,
      method: c.req.method,
      path: c.req.path,
      status: res.status,
      operation: c.get('operation'),
      backend: backend ?? undefined,
      routeReason: mark('x-zpe-route-reason'),
      flagsVersion: mark('x-zpe-flags-version'),
      durationSeconds: (performance.now() - started) / 1000,
      upstreamSeconds: timing.calls > 0 ? timing.upstreamMs / 1000 : undefined,
      traceId: trace ? trace.traceId : traceIdOf(c.req.header('traceparent')),
    };
    // The one place a request is accounted for: its log line, its trace span, metrics.
    if (logger.writes?.('info') !== false) logRequest(logger, record, c);
    trace?.end(record);
    options.onRequestDone?.(record);
  });

  for (const operation of OPERATIONS) {
    if (!mountLifecycle(app, operation, lifecycle, options.lifecycle)) continue;
    const id = operationId(operation);
    const validate = requestValidator(operation, options.maxJsonDepth);
    const handOn = (c: Context<GatewayEnv>, { params, query, body, bodyText }: ValidatedRequest) =>
      dispatch({
        operation,
        params,
        query,
        body,
        bodyText,
        request: c.req.raw,
        requestId: c.get('requestId'),
        clientAddress: options.clientAddress?.(c),
        clientGone: options.clientGone?.(c),
        timing: c.get('timing'),
      });
    app.on(operation.method.toUpperCase(), honoPath(operation.path), (c) => {
      // Named before validation, so a refused request is counted under its operation too.
      c.set('operation', id);
      const request = validate(c);
      return request instanceof Promise ? request.then((valid) => handOn(c, valid)) : handOn(c, request);
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
  app.onError((err, c) => toErrorResponse(err, logger, c.get('requestId') ?? 'unknown', c));
  return app;
}

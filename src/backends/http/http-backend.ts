import { isRead, type OperationId } from '../../contract/operations.js';
import type { OperationCall } from '../../http/app.js';
import { ApiError } from '../../http/errors.js';
import type { Logger } from '../../observability/log.js';
import type { Backend, BackendName } from '../backend.js';
import { callBudget } from './budget.js';
import { stripHopByHop, upstreamRequestHeaders } from './headers.js';
import {
  type UpstreamClient,
  type UpstreamClientFactory,
  UpstreamError,
  type UpstreamFailure,
  type UpstreamRequest,
  type UpstreamResponse,
} from './upstream-client.js';
import { contractRemainder, receivedQuery, upstreamPrefix } from './upstream-path.js';

export interface UpstreamTimeouts {
  /** Budget for an operation without its own entry (ZPE_UPSTREAM_TIMEOUT_MS). */
  defaultMs: number;
  /** Per-operation budgets, e.g. longer for a file download than for a submission. */
  byOperation?: Partial<Record<OperationId, number>>;
}

export interface HttpBackendOptions {
  name: BackendName;
  /** `http(s)://host:port[/mount]`: the origin the client connects to, and a path every call starts with. */
  baseUrl: string;
  /** Replaces the contract's `/api/zpe` prefix upstream; see upstreamPrefix for the exact rule. */
  basePath?: string;
  client: UpstreamClientFactory;
  timeouts: UpstreamTimeouts;
  logger: Logger;
  /** Path under the base URL's own path answered by a healthy upstream (default `/healthz`). */
  healthPath?: string;
  healthTimeoutMs?: number;
  /** The dev-bypass identity headers, forwarded as received (default x-dev-user-id, x-dev-user-email). */
  identityHeaders?: readonly string[];
  /** The address of the client that connected, appended to x-forwarded-for when the runtime knows it. */
  clientAddress?: (call: OperationCall) => string | undefined;
}

const DEFAULT_IDENTITY_HEADERS = ['x-dev-user-id', 'x-dev-user-email'];

/** An upstream's answer that a read may be tried again after, since it never started doing anything. */
const RETRY_STATUSES = new Set([502, 503]);

const FAILURE_MESSAGE: Record<UpstreamFailure, string> = {
  unreachable: 'unreachable',
  reset: 'closed the connection before answering',
  'invalid-response': 'sent an invalid response',
};

/**
 * A backend reached over HTTP (a legacy control plane or next-gen): forwards each validated call
 * upstream and streams the answer back. Imports no Node module, so it runs on Workers too; the
 * HTTP client comes from `client`.
 */
export function createHttpBackend(options: HttpBackendOptions): Backend {
  const { name, logger, timeouts } = options;
  const origin = new URL(options.baseUrl).origin;
  const prefix = upstreamPrefix(options.baseUrl, options.basePath);
  const mount = upstreamPrefix(options.baseUrl, '/');
  const healthPath = `${mount}/${(options.healthPath ?? '/healthz').replace(/^\/+/, '')}`;
  const healthTimeoutMs = options.healthTimeoutMs ?? 2_000;
  const identityHeaders = (options.identityHeaders ?? DEFAULT_IDENTITY_HEADERS).map((h) => h.toLowerCase());
  const client: UpstreamClient = options.client(origin);

  function failed(failure: UpstreamFailure): ApiError {
    return new ApiError(502, `${name} backend ${FAILURE_MESSAGE[failure]}`);
  }

  function answer(upstream: UpstreamResponse): Response {
    try {
      return new Response(upstream.body, { status: upstream.status, headers: stripHopByHop(upstream.headers) });
    } catch {
      // A status a Response cannot carry (below 200 or above 599).
      void upstream.body?.cancel().catch(() => {});
      throw failed('invalid-response');
    }
  }

  return {
    name,
    kind: 'http',

    async serve(call, signal) {
      const operation = call.operation.operationId as OperationId;
      const timeoutMs = timeouts.byOperation?.[operation] ?? timeouts.defaultMs;
      const hasBody = call.body !== undefined;
      const request: UpstreamRequest = {
        method: call.operation.method.toUpperCase(),
        path: prefix + contractRemainder(call.operation.path, call.params) + receivedQuery(call.request.url),
        headers: upstreamRequestHeaders(call.request, {
          requestId: call.requestId,
          hasBody,
          identityHeaders,
          clientAddress: options.clientAddress?.(call),
        }),
        body: hasBody ? JSON.stringify(call.body) : undefined,
        idleTimeoutMs: timeoutMs,
      };
      const budget = callBudget(timeoutMs, signal);
      const fields = { backend: name, operation, request_id: call.requestId };
      // Reads change nothing, so one more try is safe; a write is never sent twice.
      let retries = isRead(call.operation) ? 1 : 0;

      for (;;) {
        let upstream: UpstreamResponse;
        try {
          upstream = await client.request(request, budget.signal);
        } catch (err) {
          if (budget.timedOut) {
            budget.finished();
            logger.warn('upstream timed out', { ...fields, timeout_ms: timeoutMs });
            throw new ApiError(504, `${name} backend did not answer within ${timeoutMs} ms`);
          }
          if (signal?.aborted) {
            budget.finished();
            logger.info('client closed the request before the upstream answered', fields);
            throw new ApiError(502, `${name} backend call cancelled: the client closed the request`);
          }
          const failure = err instanceof UpstreamError ? err : new UpstreamError('reset', String(err));
          // Only a connection that failed is worth another try; an upstream that answers garbage will again.
          const retry = retries > 0 && failure.failure !== 'invalid-response';
          logger.warn('upstream call failed', { ...fields, failure: failure.failure, detail: failure.detail, retry });
          if (retry) {
            retries--;
            continue;
          }
          budget.finished();
          throw failed(failure.failure);
        }
        if (retries > 0 && RETRY_STATUSES.has(upstream.status)) {
          retries--;
          logger.warn('upstream refused a read, trying once more', { ...fields, status: upstream.status });
          await upstream.body?.cancel().catch(() => {});
          continue;
        }
        budget.answered();
        return answer(upstream);
      }
    },

    async check() {
      const budget = callBudget(healthTimeoutMs);
      try {
        const upstream = await client.request(
          { method: 'GET', path: healthPath, headers: { accept: 'application/json' } },
          budget.signal,
        );
        // Read to the end so the connection goes back to the pool.
        await new Response(upstream.body).arrayBuffer();
        if (upstream.status < 200 || upstream.status > 299) {
          throw new Error(`${name} backend health check answered ${upstream.status}`);
        }
        return 'ok';
      } catch (err) {
        if (budget.timedOut)
          throw new Error(`${name} backend health check did not answer within ${healthTimeoutMs} ms`);
        if (err instanceof UpstreamError) throw new Error(`${name} backend ${FAILURE_MESSAGE[err.failure]}`);
        throw err;
      } finally {
        budget.finished();
      }
    },

    close: () => client.close(),
  };
}

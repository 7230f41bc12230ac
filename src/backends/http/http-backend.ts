import { isRead, type OperationId } from '../../contract/operations.js';
import { answerOf, NOT_JSON, type ReadAnswer } from '../../http/answer.js';
import type { OperationCall } from '../../http/app.js';
import { ApiError } from '../../http/errors.js';
import type { Logger } from '../../observability/log.js';
import type { Backend, BackendName } from '../backend.js';
import { outsideContract } from './contract-gate.js';
import { CallStopped, Deadline } from './deadline.js';
import { forwardedAnswerHeaders, upstreamRequestHeaders } from './headers.js';
import {
  NULL_BODY_STATUSES,
  type UpstreamAnswer,
  type UpstreamClient,
  type UpstreamClientFactory,
  UpstreamError,
  type UpstreamFailure,
  type UpstreamRequest,
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
  /** Client headers forwarded as received: the dev-bypass identity headers, only with dev-bypass on (default none). */
  identityHeaders?: readonly string[];
  /** The address of the client that connected, appended to x-forwarded-for when the runtime knows it. */
  clientAddress?: (call: OperationCall) => string | undefined;
  /** Answers up to this size are read whole before the client gets anything (default 1 MiB); longer ones stream. */
  wholeBodyBytes?: number;
}

/** An upstream's answer that a read may be tried again after, since it never started doing anything. */
const RETRY_STATUSES = new Set([502, 503]);

const FAILURE_MESSAGE: Record<UpstreamFailure, string> = {
  unreachable: 'unreachable',
  reset: 'closed the connection before answering',
  'invalid-response': 'sent an invalid response',
  'broken-body': 'broke off its answer',
};

const DEFAULT_WHOLE_BODY_BYTES = 1024 * 1024;

const lossy = new TextDecoder();
// Keeps a BOM, so that the text is the bytes exactly and can be answered in their place.
const exact = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The body's text for the checks (without a BOM, as JSON.parse wants it) and, when the body is UTF-8,
 * its exact text, answered in place of the bytes (Node writes a string with its head in one write).
 */
function decoded(body: Uint8Array): { text: string; exactText: string | undefined } {
  let exactText: string | undefined;
  try {
    exactText = exact.decode(body);
  } catch {
    return { text: lossy.decode(body), exactText };
  }
  return { text: exactText.charCodeAt(0) === 0xfeff ? exactText.slice(1) : exactText, exactText };
}

/** The client's answer around an upstream's head: with a known head, unless a header repeats (set-cookie). */
function forwarded(
  body: string | Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array> | null,
  status: number,
  received: UpstreamAnswer['headers'],
  read?: ReadAnswer,
): Response {
  const headers = forwardedAnswerHeaders(received);
  return Array.isArray(headers) ? new Response(body, { status, headers }) : answerOf(body, status, headers, read);
}

function contentLength(headers: UpstreamAnswer['headers']): number | undefined {
  const raw = headers['content-length'];
  if (typeof raw !== 'string') return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

function mediaType(headers: UpstreamAnswer['headers']): string {
  const raw = headers['content-type'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return (value ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

const isJsonMedia = (type: string) => type === 'application/json' || type.endsWith('+json');

/**
 * A backend reached over HTTP (a legacy control plane or next-gen): forwards each validated call
 * upstream and answers what came back. Imports no Node module, so it runs on Workers too; the HTTP
 * client comes from `client`. One deadline covers the whole call, body included; small answers are
 * read whole (checked before the client sees anything), large ones streamed, and a stream that fails
 * ends the client's response as failed.
 */
export function createHttpBackend(options: HttpBackendOptions): Backend {
  const { name, logger, timeouts } = options;
  const origin = new URL(options.baseUrl).origin;
  const prefix = upstreamPrefix(options.baseUrl, options.basePath);
  const mount = upstreamPrefix(options.baseUrl, '/');
  const healthPath = `${mount}/${(options.healthPath ?? '/healthz').replace(/^\/+/, '')}`;
  const healthTimeoutMs = options.healthTimeoutMs ?? 2_000;
  const wholeBodyBytes = options.wholeBodyBytes ?? DEFAULT_WHOLE_BODY_BYTES;
  const identityHeaders = (options.identityHeaders ?? []).map((h) => h.toLowerCase());
  const client: UpstreamClient = options.client(origin);

  const failed = (failure: UpstreamFailure) => new ApiError(502, `${name} backend ${FAILURE_MESSAGE[failure]}`);
  const timedOut = (ms: number) => new ApiError(504, `${name} backend did not answer within ${ms} ms`);

  /** A failure of the call, before or after the headers, as the client's answer. */
  function refusal(err: unknown, deadline: Deadline, fields: Record<string, unknown>, answered: boolean): ApiError {
    const stopped = err instanceof CallStopped ? err : deadline.stopped;
    if (stopped?.cause_ === 'deadline') {
      logger.warn('upstream timed out', { ...fields, timeout_ms: deadline.ms, answered });
      return timedOut(deadline.ms);
    }
    if (stopped) {
      logger.info('client closed the request before the upstream answered', fields);
      return new ApiError(502, `${name} backend call cancelled: the client closed the request`);
    }
    const failure = err instanceof UpstreamError ? err : new UpstreamError('reset', String(err));
    logger.warn('upstream call failed', { ...fields, failure: failure.failure, detail: failure.detail, answered });
    return failed(failure.failure);
  }

  function refuseOutsideContract(
    fields: Record<string, unknown>,
    status: number,
    type: string,
    text: string,
    violations: string[],
  ): never {
    logger.warn('upstream answered outside the contract', {
      ...fields,
      status,
      content_type: type,
      body: text.length > 300 ? `${text.slice(0, 300)}…` : text,
      violations,
    });
    throw new ApiError(502, `${name} backend answered outside the contract`, { violations });
  }

  /** The client's answer from an upstream's, its body read whole when small. */
  async function answer(
    call: OperationCall,
    upstream: UpstreamAnswer,
    deadline: Deadline,
    fields: Record<string, unknown>,
  ): Promise<Response> {
    const { status } = upstream;
    const type = mediaType(upstream.headers);
    const declared = (call.operation.responses as Record<string, unknown>)[String(status)] !== undefined;
    if (NULL_BODY_STATUSES.has(status)) {
      // Read to its (empty) end rather than dropped, so the connection stays reusable.
      await upstream.whole(0).then(
        (body) => body ?? upstream.discard(),
        () => undefined,
      );
      deadline.finish();
      if (!declared) refuseOutsideContract(fields, status, type, '', [`status ${status} is not declared`]);
      return forwarded(null, status, upstream.headers);
    }
    const length = contentLength(upstream.headers);
    let body: Uint8Array | undefined;
    if (length === undefined || length <= wholeBodyBytes) {
      try {
        body = await upstream.whole(wholeBodyBytes);
      } catch (err) {
        deadline.finish();
        throw refusal(err, deadline, fields, true);
      }
    }
    if (body === undefined) {
      // Too long to hold: streamed, and only a success may stream (errors are small envelopes).
      if (!declared || status >= 400) {
        upstream.discard();
        deadline.finish();
        refuseOutsideContract(fields, status, type, '(not read: too long)', [
          declared ? 'error body too long to be the envelope' : `status ${status} is not declared`,
        ]);
      }
      return forwarded(
        upstream.stream(() => deadline.finish()),
        status,
        upstream.headers,
      );
    }
    deadline.finish();
    const json = isJsonMedia(type);
    const { text, exactText } = json || !declared || status >= 400 ? decoded(body) : { text: '', exactText: undefined };
    let parsed: unknown = NOT_JSON;
    if (json) {
      try {
        parsed = JSON.parse(text);
      } catch {
        // Left to the contract gate below.
      }
    }
    const violations = outsideContract(call.operation, status, json, parsed);
    if (violations) refuseOutsideContract(fields, status, type, text, violations);
    return forwarded(
      exactText ?? (body as Uint8Array<ArrayBuffer>),
      status,
      upstream.headers,
      json ? { text, json: parsed } : undefined,
    );
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
        body: hasBody ? (call.bodyText ?? JSON.stringify(call.body)) : undefined,
      };
      const deadline = new Deadline(timeoutMs, signal);
      const fields = { backend: name, operation, request_id: call.requestId };
      // Reads change nothing, so one more try is safe; a write is never sent twice.
      let retries = isRead(call.operation) ? 1 : 0;

      for (;;) {
        let upstream: UpstreamAnswer;
        try {
          upstream = await client.request(request, deadline);
        } catch (err) {
          // Only a connection that failed is worth another try; an upstream that answers garbage will again.
          const retry =
            retries > 0 && !deadline.stopped && !(err instanceof UpstreamError && err.failure === 'invalid-response');
          if (retry) {
            retries--;
            logger.warn('upstream call failed, trying once more', {
              ...fields,
              detail: err instanceof UpstreamError ? err.detail : String(err),
            });
            continue;
          }
          deadline.finish();
          throw refusal(err, deadline, fields, false);
        }
        if (retries > 0 && RETRY_STATUSES.has(upstream.status)) {
          retries--;
          logger.warn('upstream refused a read, trying once more', { ...fields, status: upstream.status });
          upstream.discard();
          continue;
        }
        return answer(call, upstream, deadline, fields);
      }
    },

    async check() {
      const deadline = new Deadline(healthTimeoutMs);
      try {
        const upstream = await client.request(
          { method: 'GET', path: healthPath, headers: { accept: 'application/json' } },
          deadline,
        );
        // Read to the end so the connection goes back to the pool.
        if ((await upstream.whole(64 * 1024)) === undefined) upstream.discard();
        if (upstream.status < 200 || upstream.status > 299) {
          throw new Error(`${name} backend health check answered ${upstream.status}`);
        }
        return 'ok';
      } catch (err) {
        if (deadline.expired)
          throw new Error(`${name} backend health check did not answer within ${healthTimeoutMs} ms`);
        if (err instanceof UpstreamError) throw new Error(`${name} backend ${FAILURE_MESSAGE[err.failure]}`);
        throw err;
      } finally {
        deadline.finish();
      }
    },

    close: () => client.close(),
  };
}

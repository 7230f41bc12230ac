import { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { type Dispatcher, Pool } from 'undici';
import {
  errorCode,
  failureOf,
  NULL_BODY_STATUSES,
  type UpstreamClient,
  UpstreamError,
  type UpstreamResponse,
} from './upstream-client.js';

export interface UndiciClientOptions {
  /** Most connections kept to the upstream at once. */
  connections?: number;
  /** How long an idle connection stays open for reuse; keep it below the upstream's own keep-alive timeout. */
  keepAliveTimeoutMs?: number;
}

function toHeaders(raw: Dispatcher.ResponseData['headers']): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.append(name, value);
  }
  return headers;
}

/**
 * Node only: a kept-alive undici Pool per upstream origin, the fastest forwarding measured here
 * (toolchain.md, "Forwarding speed"). The only file that imports undici.
 */
export function createUndiciClient(origin: string, options: UndiciClientOptions = {}): UpstreamClient {
  const pool = new Pool(origin, {
    connections: options.connections ?? 256,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 4_000,
    // The backend's own deadline decides when waiting for headers is over.
    headersTimeout: 0,
  });

  return {
    async request(request, signal): Promise<UpstreamResponse> {
      let answer: Dispatcher.ResponseData;
      try {
        answer = await pool.request({
          method: request.method as Dispatcher.HttpMethod,
          path: request.path,
          headers: request.headers,
          body: request.body,
          signal,
          bodyTimeout: request.idleTimeoutMs ?? 0,
        });
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        throw new UpstreamError(failureOf(errorCode(err) ?? 'unknown'), errorCode(err) ?? String(err));
      }
      const headers = toHeaders(answer.headers);
      if (NULL_BODY_STATUSES.has(answer.statusCode) || request.method === 'HEAD') {
        await answer.body.dump();
        return { status: answer.statusCode, headers, body: null };
      }
      // ReadableStream.from, not Readable.toWeb: the latter crashed Node 20 when clients disconnected.
      return {
        status: answer.statusCode,
        headers,
        body: NodeReadableStream.from<Uint8Array>(answer.body) as ReadableStream<Uint8Array>,
      };
    },
    close: () => pool.close(),
  };
}

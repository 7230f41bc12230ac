import {
  errorCode,
  failureOf,
  NULL_BODY_STATUSES,
  type UpstreamClient,
  UpstreamError,
  type UpstreamResponse,
} from './upstream-client.js';

type Fetch = (input: string, init: RequestInit) => Promise<Response>;

/**
 * Runtime-neutral: the only client on Cloudflare Workers. `fetchImpl` lets a Worker call through a
 * service binding instead of the public network.
 */
export function createFetchClient(
  origin: string,
  fetchImpl: Fetch = (input, init) => fetch(input, init),
): UpstreamClient {
  const base = origin.replace(/\/+$/, '');
  return {
    async request(request, signal): Promise<UpstreamResponse> {
      let answer: Response;
      try {
        answer = await fetchImpl(base + request.path, {
          method: request.method,
          headers: request.headers,
          body: request.body,
          signal,
          // A redirect is the upstream's answer to pass on, not one to follow.
          redirect: 'manual',
        });
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        const code = errorCode(err);
        throw new UpstreamError(code ? failureOf(code) : 'reset', code ?? String(err));
      }
      const headers = new Headers(answer.headers);
      // fetch decodes gzip/br bodies but keeps the headers that described the encoded bytes.
      const encoding = headers.get('content-encoding');
      if (encoding && encoding !== 'identity') {
        headers.delete('content-encoding');
        headers.delete('content-length');
      }
      if (NULL_BODY_STATUSES.has(answer.status)) {
        await answer.body?.cancel();
        return { status: answer.status, headers, body: null };
      }
      return { status: answer.status, headers, body: answer.body };
    },
    close: async () => {},
  };
}

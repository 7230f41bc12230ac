import type { Deadline } from './deadline.js';
import {
  joined,
  type UpstreamAnswer,
  type UpstreamClient,
  type UpstreamHeaders,
  upstreamFailure,
} from './upstream-client.js';

type Fetch = (input: string, init: RequestInit) => Promise<Response>;

function headersOf(answer: Response): UpstreamHeaders {
  const headers: UpstreamHeaders = {};
  answer.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const cookies = answer.headers.getSetCookie?.() ?? [];
  if (cookies.length > 1) headers['set-cookie'] = cookies;
  // fetch decodes gzip/br bodies but keeps the headers that described the encoded bytes.
  const encoding = headers['content-encoding'];
  if (encoding && encoding !== 'identity') {
    delete headers['content-encoding'];
    delete headers['content-length'];
  }
  return headers;
}

/**
 * Runtime-neutral: the only client on Cloudflare Workers. `fetchImpl` lets a Worker call through a
 * service binding instead of the public network. fetch can only be cancelled through a signal, so
 * here (only) each call has an AbortController, stopped by the call's deadline.
 */
export function createFetchClient(
  origin: string,
  fetchImpl: Fetch = (input, init) => fetch(input, init),
): UpstreamClient {
  const base = origin.replace(/\/+$/, '');
  return {
    async request(request, deadline: Deadline): Promise<UpstreamAnswer> {
      const controller = new AbortController();
      deadline.onStop((reason) => controller.abort(reason));
      let answer: Response;
      try {
        answer = await fetchImpl(base + request.path, {
          method: request.method,
          headers: request.headers,
          body: request.body,
          signal: controller.signal,
          // A redirect is the upstream's answer to pass on, not one to follow.
          redirect: 'manual',
        });
      } catch (err) {
        throw upstreamFailure(err, deadline, false);
      }
      const reader = answer.body?.getReader();
      let chunks: Uint8Array[] = [];
      let size = 0;
      let ended = !reader;
      const read = async () => {
        try {
          return await (reader as ReadableStreamDefaultReader<Uint8Array>).read();
        } catch (err) {
          throw upstreamFailure(err, deadline, true);
        }
      };
      return {
        status: answer.status,
        headers: headersOf(answer),
        async whole(limit) {
          while (!ended) {
            if (size > limit) return undefined;
            const { done, value } = await read();
            if (done) ended = true;
            else {
              chunks.push(value);
              size += value.byteLength;
            }
          }
          return joined(chunks, size);
        },
        stream(done) {
          const first = chunks;
          chunks = [];
          let finished = false;
          const finish = () => {
            if (finished) return;
            finished = true;
            done();
          };
          return new ReadableStream<Uint8Array>({
            start(stream) {
              for (const chunk of first) stream.enqueue(chunk);
              if (ended) {
                stream.close();
                finish();
              }
            },
            async pull(stream) {
              if (ended) return;
              try {
                const { done: over, value } = await read();
                if (over) {
                  ended = true;
                  stream.close();
                  finish();
                } else stream.enqueue(value);
              } catch (err) {
                stream.error(err);
                finish();
              }
            },
            cancel() {
              controller.abort();
              finish();
            },
          });
        },
        discard() {
          if (!ended) void reader?.cancel().catch(() => {});
        },
      };
    },
    close: async () => {},
  };
}

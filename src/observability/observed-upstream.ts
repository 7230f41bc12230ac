import type { BackendName } from '../backends/backend.js';
import { type UpstreamClient, UpstreamError } from '../backends/http/upstream-client.js';
import type { GatewayObserver, UpstreamErrorKind } from './observer.js';
import type { Tracing } from './tracing.js';

const KIND: Record<UpstreamError['failure'], UpstreamErrorKind> = {
  unreachable: 'unreachable',
  reset: 'reset',
  'invalid-response': 'invalid_response',
  'broken-body': 'broken_body',
};

/**
 * An upstream HTTP client whose failures are counted by kind and whose calls are client spans (with their
 * `traceparent` sent upstream) when tracing is on. Timeouts are counted by observedBackend (the 504).
 */
export function observedUpstreamClient(
  client: UpstreamClient,
  options: { backend: BackendName; observer?: GatewayObserver; tracing?: Pick<Tracing, 'client'>; origin: string },
): UpstreamClient {
  const { backend, observer, tracing } = options;
  const server = new URL(options.origin);
  const counted = (err: unknown): never => {
    if (err instanceof UpstreamError) observer?.upstreamError?.(backend, KIND[err.failure]);
    throw err;
  };
  if (!tracing) {
    // Without spans, one shared handler on the call's own promise: nothing made per call.
    return {
      request: (request, deadline) => client.request(request, deadline).catch(counted),
      close: () => client.close(),
    };
  }
  return {
    async request(request, signal) {
      const headers = { ...request.headers };
      const end = tracing.client(
        `${request.method} ${backend}`,
        {
          'http.request.method': request.method,
          'server.address': server.hostname,
          'server.port': Number(server.port) || (server.protocol === 'https:' ? 443 : 80),
          'url.path': request.path.split('?')[0] ?? request.path,
          'zpe.backend': backend,
        },
        headers,
      );
      try {
        const answer = await client.request({ ...request, headers }, signal);
        end?.({ status: answer.status });
        return answer;
      } catch (err) {
        end?.({ error: err });
        return counted(err);
      }
    },
    close: () => client.close(),
  };
}

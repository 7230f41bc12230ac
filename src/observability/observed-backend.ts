import type { Backend } from '../backends/backend.js';
import { ApiError } from '../http/errors.js';
import type { GatewayObserver } from './observer.js';

/**
 * A backend whose calls are timed into the request's RequestTiming (the upstream time of its log line and
 * metrics) and whose timeouts (504) are reported. The HTTP client's own failures are reported closer to
 * the wire, by observed-upstream.ts, where their kind is known.
 */
export function observedBackend(backend: Backend, observer: GatewayObserver | undefined): Backend {
  return {
    name: backend.name,
    kind: backend.kind,
    check: () => backend.check(),
    close: () => backend.close(),
    async serve(call, signal) {
      const started = performance.now();
      try {
        return await backend.serve(call, signal);
      } catch (err) {
        if (err instanceof ApiError && err.status === 504) observer?.upstreamError?.(backend.name, 'timeout');
        throw err;
      } finally {
        const timing = call.timing;
        if (timing?.open) {
          timing.upstreamMs += performance.now() - started;
          timing.calls++;
        }
      }
    },
  };
}

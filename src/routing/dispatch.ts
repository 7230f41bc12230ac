import type { Backend, BackendName } from '../backends/backend.js';
import type { OperationId } from '../contract/operations.js';
import type { FlagSnapshot } from '../flags/flags.js';
import type { Dispatch, OperationCall } from '../http/app.js';
import { ApiError, errorResponse } from '../http/errors.js';
import { ROUTING_TABLE, UNAVAILABLE_MESSAGE } from './table.js';

export interface Router {
  backends: Partial<Record<BackendName, Backend>>;
  flags: () => Promise<FlagSnapshot>;
  /** Serves the operations the gateway answers itself (admin). */
  gateway: (call: OperationCall) => Promise<Response>;
}

function routed(response: Response, backend: string, reason: string, version: string): Response {
  const headers = new Headers(response.headers);
  headers.set('x-zpe-backend', backend);
  headers.set('x-zpe-route-reason', reason);
  headers.set('x-zpe-flags-version', version);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/** Routing decisions in one place: flags → rule → backend, or the legacy refusal. */
export function createDispatch(router: Router): Dispatch {
  return async (call) => {
    const operationId = call.operation.operationId as OperationId;
    const snapshot = await router.flags();
    const want = ROUTING_TABLE[operationId](snapshot.values);
    const version = snapshot.version;

    if ('gateway' in want) {
      const answer = await router.gateway(call).catch((err: unknown) => {
        if (err instanceof ApiError) return errorResponse(err);
        throw err;
      });
      return routed(answer, 'gateway', 'gateway', version);
    }
    if ('empty' in want) return routed(new Response(null, { status: 204 }), 'gateway', want.empty, version);
    if ('off' in want) return routed(errorResponse(new ApiError(503, want.off)), 'gateway', 'flag', version);

    if ('stateless' in want) {
      const backend =
        router.backends.nextgen ?? (router.backends.legacy?.kind === 'http' ? router.backends.legacy : undefined);
      if (!backend) {
        const refusal = new ApiError(
          503,
          'parse needs a next-gen backend (ZPE_NEXTGEN_URL) or an HTTP legacy (ZPE_LEGACY_URL); neither is configured',
        );
        return routed(errorResponse(refusal), 'gateway', 'not-configured', version);
      }
      return routed(await serveBy(backend, call), backend.name, 'stateless', version);
    }

    const backend = router.backends[want.backend];
    if (!backend) {
      const message =
        want.backend === 'nextgen'
          ? (UNAVAILABLE_MESSAGE[operationId] ?? 'next-gen backend not configured')
          : 'legacy backend not configured: set ZPE_REDIS_URL for the built-in one or ZPE_LEGACY_URL for an HTTP control plane';
      return routed(errorResponse(new ApiError(503, message)), 'gateway', want.reason, version);
    }
    return routed(await serveBy(backend, call), backend.name, want.reason, version);
  };
}

/** A backend's refusal (ApiError) is an answer like any other: it keeps the routing headers. */
async function serveBy(backend: Backend, call: OperationCall): Promise<Response> {
  try {
    return await backend.serve(call, call.request.signal);
  } catch (err) {
    if (err instanceof ApiError) return errorResponse(err);
    throw err;
  }
}

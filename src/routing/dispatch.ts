import type { Backend, BackendName } from '../backends/backend.js';
import { isRead, type OperationId, operationId } from '../contract/operations.js';
import type { FlagState } from '../flags/state.js';
import type { Dispatch, OperationCall } from '../http/app.js';
import { ApiError, errorResponse } from '../http/errors.js';
import type { Logger } from '../observability/log.js';
import type { RolloutFlag } from '../rollout/rollout.js';
import { comparable, diffValues, type ParityTracker } from './shadow.js';
import { JOB_READS, ROUTING_TABLE, rolloutOf, routeFor, UNAVAILABLE_MESSAGE, type Want } from './table.js';

export interface Router {
  backends: Partial<Record<BackendName, Backend>>;
  flags: () => Promise<
    Pick<FlagState, 'values' | 'overrides' | 'shadow' | 'version'> & Partial<Pick<FlagState, 'rollouts'>>
  >;
  /** The request's user id, resolved once per request (shared with the backend); undefined when unknown. */
  userOf?: (request: Request) => Promise<string | undefined>;
  /** Counts what next-gen answered the users a rollout sent there: the evidence its guard reads. */
  rolloutEvidence?: (flag: RolloutFlag, generation: string, status: number) => void;
  /** Serves the operations the gateway answers itself (admin). */
  gateway: (call: OperationCall) => Promise<Response>;
  logger?: Logger;
  parity?: ParityTracker;
  /** Checks a next-gen answer against the contract; may replace it (strict mode). */
  checkNextgen?: (call: OperationCall, response: Response) => Promise<Response>;
  /** Keeps background work (shadow reads) alive: Workers' waitUntil; on Node, nothing to do. */
  background?: (work: Promise<unknown>) => void;
  random?: () => number;
}

/** How a request was routed, in headers on every answer and in the request log. */
function routed(response: Response, backend: string, reason: string, version: string): Response {
  const mark = (headers: Headers) => {
    headers.set('x-zpe-backend', backend);
    headers.set('x-zpe-route-reason', reason);
    headers.set('x-zpe-flags-version', version);
  };
  try {
    mark(response.headers);
    return response;
  } catch {
    // Headers of a fetched Response are immutable: answer a copy that shares its body stream.
    const headers = new Headers(response.headers);
    mark(headers);
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  }
}

function refusal(error: ApiError): Response {
  return errorResponse(error);
}

/** A backend's refusal (ApiError) is an answer like any other: it keeps the routing headers. */
async function serveBy(backend: Backend, call: OperationCall, signal?: AbortSignal): Promise<Response> {
  try {
    return await backend.serve(call, signal ?? call.request.signal);
  } catch (err) {
    if (err instanceof ApiError) return refusal(err);
    throw err;
  }
}

const OTHER: Record<BackendName, BackendName> = { legacy: 'nextgen', nextgen: 'legacy' };

/**
 * The emergency revoke goes to every configured backend, since a server may hold tokens issued by
 * either. It succeeds only when all of them revoked (the count is their sum); otherwise the first
 * failure is answered, so an operator never mistakes a partial revoke for a complete one (a revoke
 * is safe to repeat).
 */
async function revokeEverywhere(
  call: OperationCall,
  backends: Partial<Record<BackendName, Backend>>,
  reason: string,
  version: string,
): Promise<Response> {
  const targets = Object.values(backends);
  if (targets.length === 0) {
    const error = new ApiError(503, 'no backend configured to revoke at');
    return routed(refusal(error), 'gateway', reason, version);
  }
  const answers = await Promise.all(targets.map((backend) => serveBy(backend, call)));
  const names = targets.map((b) => b.name).join('+');
  const failed = answers.findIndex((answer) => answer.status !== 200);
  if (failed >= 0) {
    answers.forEach((answer, i) => {
      if (i !== failed) answer.body?.cancel().catch(() => undefined);
    });
    const revokedAt = targets.filter((_, i) => answers[i]?.status === 200).map((b) => b.name);
    const answer = routed(answers[failed] as Response, names, reason, version);
    answer.headers.set('x-zpe-revoked-at', revokedAt.join(',') || 'none');
    return answer;
  }
  let revoked = 0;
  for (const answer of answers)
    revoked += Number(((await answer.json()) as { revoked_count?: number }).revoked_count ?? 0);
  return routed(Response.json({ revoked_count: revoked }), names, reason, version);
}

/** Routing decisions in one place: route override, else flags -> the routing table -> a backend, or the legacy refusal. */
export function createDispatch(router: Router): Dispatch {
  const random = router.random ?? Math.random;

  const serve = async (backend: Backend, call: OperationCall): Promise<Response> => {
    const response = await serveBy(backend, call);
    return backend.name === 'nextgen' && router.checkNextgen ? router.checkNextgen(call, response) : response;
  };

  const shadow = (call: OperationCall, id: OperationId, served: Backend, answer: Response) => {
    const other = router.backends[OTHER[served.name]];
    if (!other || !router.parity) return;
    const parity = router.parity;
    const work = (async () => {
      try {
        // Its own clock: the client's abort must not cancel the comparison.
        const shadowAnswer = await serveBy(other, call, AbortSignal.timeout(10_000));
        const [a, b] = await Promise.all([comparable(answer), comparable(shadowAnswer)]);
        parity.record(id, { diff: diffValues(a, b), requestId: call.requestId, servedBy: served.name });
      } catch (err) {
        parity.recordFailure(id);
        router.logger?.warn('shadow read failed', {
          operation: id,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    })();
    router.background?.(work);
  };

  return async (call) => {
    const id = operationId(call.operation);
    const state = await router.flags();
    const version = state.version;
    const override = state.overrides[id];
    const rollouts = state.rollouts ?? {};
    // The user matters only under a rollout; then it is resolved once and shared with the backend.
    const user =
      !override && router.userOf && rolloutOf(id, state.values, rollouts)
        ? await router.userOf(call.request)
        : undefined;
    const want: Want & { inRollout?: { flag: RolloutFlag; generation: string } } =
      override && !('gateway' in ROUTING_TABLE[id](state.values))
        ? { backend: override.backend, reason: `override:${override.backend}` }
        : routeFor(id, state.values, rollouts, user);

    if ('gateway' in want) {
      const answer = await router.gateway(call).catch((err: unknown) => {
        if (err instanceof ApiError) return refusal(err);
        throw err;
      });
      return routed(answer, 'gateway', 'gateway', version);
    }
    if ('everywhere' in want) return revokeEverywhere(call, router.backends, want.everywhere, version);
    if ('empty' in want) return routed(new Response(null, { status: 204 }), 'gateway', want.empty, version);
    if ('off' in want) return routed(refusal(new ApiError(503, want.off)), 'gateway', 'flag', version);

    if ('stateless' in want) {
      const backend =
        router.backends.nextgen ?? (router.backends.legacy?.kind === 'http' ? router.backends.legacy : undefined);
      if (!backend) {
        const error = new ApiError(
          503,
          'parse needs a next-gen backend (ZPE_NEXTGEN_URL) or an HTTP legacy (ZPE_LEGACY_URL); neither is configured',
        );
        return routed(refusal(error), 'gateway', 'not-configured', version);
      }
      return routed(await serve(backend, call), backend.name, 'stateless', version);
    }

    const backend = router.backends[want.backend];
    if (!backend) {
      const message =
        want.backend === 'nextgen'
          ? (UNAVAILABLE_MESSAGE[id] ?? 'next-gen backend not configured')
          : 'legacy backend not configured: set ZPE_LEGACY_URL for an HTTP control plane (or, on Node, ZPE_REDIS_URL for the built-in one)';
      return routed(refusal(new ApiError(503, message)), 'gateway', want.reason, version);
    }

    let answer = await serve(backend, call);
    if (want.inRollout && backend.name === 'nextgen') {
      router.rolloutEvidence?.(want.inRollout.flag, want.inRollout.generation, answer.status);
    }
    let servedBy = backend;
    let reason = want.reason;
    // Read continuity: a job submitted through the other backend is still readable here.
    if (answer.status === 404 && JOB_READS.includes(id)) {
      const other = router.backends[OTHER[backend.name]];
      if (other) {
        const second = await serve(other, call);
        if (second.status !== 404) {
          answer.body?.cancel().catch(() => undefined);
          answer = second;
          servedBy = other;
          reason = `${want.reason};continuity:${other.name}`;
        } else {
          second.body?.cancel().catch(() => undefined);
        }
      }
    }
    if (isRead(call.operation) && state.shadow && answer.ok && random() < state.shadow.sample_rate) {
      const [forClient, forShadow] = [answer, answer.clone()];
      shadow(call, id, servedBy, forShadow);
      answer = forClient;
    }
    return routed(answer, servedBy.name, reason, version);
  };
}

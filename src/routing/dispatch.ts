import type { AdminAuthenticator } from '../auth/identity.js';
import { markVerified } from '../auth/verified.js';
import type { Backend, BackendName } from '../backends/backend.js';
import { isRead, type OperationId, operationId } from '../contract/operations.js';
import type { FlagState } from '../flags/state.js';
import { answerOf, copyAnswer, jsonAnswer, withAnswerHeaders } from '../http/answer.js';
import type { Dispatch, OperationCall } from '../http/app.js';
import type { ClientGone } from '../http/client-gone.js';
import { ApiError, errorResponse } from '../http/errors.js';
import type { Logger } from '../observability/log.js';
import { serveParse } from '../qe/parse-operation.js';
import type { RolloutFlag } from '../rollout/rollout.js';
import type { ParityTracker } from './shadow.js';
import { decide, FLAG_BEFORE_IDENTITY, JOB_READS, needsUser, UNAVAILABLE_MESSAGE } from './table.js';

type RoutingFlags = Pick<FlagState, 'values' | 'overrides' | 'shadow' | 'version'> &
  Partial<Pick<FlagState, 'rollouts'>>;

export interface Router {
  backends: Partial<Record<BackendName, Backend>>;
  /** The routing state: at once when it is fresh (the steady state), else once it is read. */
  flags: () => RoutingFlags | Promise<RoutingFlags>;
  /** The request's user id, resolved once per request (shared with the backend); undefined when unknown. */
  userOf?: (request: Request) => Promise<string | undefined>;
  /** Counts what next-gen answered the users a rollout sent there: the evidence its guard reads. */
  rolloutEvidence?: (flag: RolloutFlag, generation: string, status: number) => void;
  /** Serves the operations the gateway answers itself (admin). */
  gateway: (call: OperationCall) => Promise<Response>;
  logger?: Logger;
  parity?: ParityTracker;
  /** Checks a next-gen answer against the contract; may replace it (strict mode). */
  checkNextgen?: (call: OperationCall, response: Response) => Response;
  /** Keeps background work (shadow reads) alive: Workers' waitUntil; on Node, nothing to do. */
  background?: (work: Promise<unknown>) => void;
  random?: () => number;
  /** The emergency revoke's per-backend operator credentials, used once `admin` accepted the caller. */
  revoke?: { admin: AdminAuthenticator; credentials: Partial<Record<BackendName, string>> };
}

/** How a request was routed, in headers on every answer and in the request log. */
function routed(response: Response, backend: string, reason: string, version: string, requestId: string): Response {
  return withAnswerHeaders(response, {
    'x-zpe-backend': backend,
    'x-zpe-route-reason': reason,
    'x-zpe-flags-version': version,
    'x-request-id': requestId,
  });
}

function refusal(error: ApiError): Response {
  return errorResponse(error);
}

const UPSTREAM_ACCEPTED = { kind: 'upstream' } as const;

/**
 * A backend's answer, then `check`ed if given. A backend's refusal (ApiError) is an answer like any
 * other: it keeps the routing headers.
 */
async function serveBy(
  backend: Backend,
  call: OperationCall,
  stop?: ClientGone,
  check?: (call: OperationCall, response: Response) => Response,
): Promise<Response> {
  let answer: Response;
  try {
    answer = await backend.serve(call, stop ?? call.clientGone ?? call.request.signal);
    // An upstream that answered without refusing the credentials (401/403) or failing has accepted them.
    if (backend.kind === 'http' && answer.status !== 401 && answer.status !== 403 && answer.status < 500)
      markVerified(call.request, UPSTREAM_ACCEPTED);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    answer = refusal(err);
  }
  return check ? check(call, answer) : answer;
}

const OTHER: Record<BackendName, BackendName> = { legacy: 'nextgen', nextgen: 'legacy' };

/** What the gateway answers when the flags send an operation to a backend that is not configured. */
function notConfigured(id: OperationId, backend: BackendName): ApiError {
  const message =
    backend === 'nextgen'
      ? (UNAVAILABLE_MESSAGE[id] ?? 'next-gen backend not configured')
      : 'legacy backend not configured: set ZPE_LEGACY_URL for an HTTP control plane (or, on Node, ZPE_REDIS_URL for the built-in one)';
  return new ApiError(503, message);
}

/**
 * Read continuity keeps the second answer only when it found the job: a success, or a 409 about the
 * job (not finished, failed). Anything else (404, a failure of the other backend) never hides the first.
 */
function foundJob(answer: Response): boolean {
  return answer.ok || answer.status === 409;
}

/** Frees an answer not handed on. Even reading `body` can throw (an upstream status no Response can carry). */
function discard(answer: Response): void {
  try {
    answer.body?.cancel().catch(() => undefined);
  } catch {
    // Nothing to free.
  }
}

/**
 * The emergency revoke goes to every configured backend, since a server may hold tokens issued by
 * either. It succeeds only when all of them revoked (the count is their sum); otherwise the first
 * failure is answered, so an operator never mistakes a partial revoke for a complete one (a revoke
 * is safe to repeat). `x-zpe-revoked` says what each backend answered (`legacy=2,nextgen=0`, or
 * `nextgen=failed:401`).
 *
 * A backend with its own operator credential (ZPE_NEXTGEN_ADMIN_TOKEN, ZPE_LEGACY_ADMIN_TOKEN) is
 * called with it instead of the caller's token, once the caller has proven to be the gateway's
 * admin: never on anyone else's word.
 */
async function revokeEverywhere(
  call: OperationCall,
  router: Pick<Router, 'backends' | 'revoke'>,
  reason: string,
  version: string,
): Promise<Response> {
  const targets = Object.values(router.backends);
  if (targets.length === 0) {
    const error = new ApiError(503, 'no backend configured to revoke at');
    return routed(refusal(error), 'gateway', reason, version, call.requestId);
  }
  const credentials = router.revoke?.credentials ?? {};
  if (targets.some((backend) => credentials[backend.name] !== undefined)) {
    try {
      router.revoke?.admin.require(call.request);
    } catch (err) {
      if (err instanceof ApiError) return routed(refusal(err), 'gateway', reason, version, call.requestId);
      throw err;
    }
  }
  const callFor = (backend: Backend): OperationCall => {
    const credential = credentials[backend.name];
    if (credential === undefined) return call;
    const headers = new Headers(call.request.headers);
    headers.set('authorization', `Bearer ${credential}`);
    // A fresh request (the revoke has no body): one built from call.request would use it up for the next backend.
    const request = new Request(call.request.url, {
      method: call.request.method,
      headers,
      signal: call.request.signal,
    });
    return { ...call, request };
  };
  const answers = await Promise.all(targets.map((backend) => serveBy(backend, callFor(backend))));
  const names = targets.map((b) => b.name).join('+');
  const counts = await Promise.all(
    answers.map(async (answer) => {
      if (answer.status !== 200) return `failed:${answer.status}`;
      const body = (await answer.json().catch(() => ({}))) as { revoked_count?: unknown };
      return Number(body.revoked_count ?? 0);
    }),
  );
  const report = targets.map((b, i) => `${b.name}=${counts[i]}`).join(',');
  const failed = answers.findIndex((answer) => answer.status !== 200);
  if (failed >= 0) {
    answers.forEach((answer, i) => {
      if (i !== failed && answer.status !== 200) answer.body?.cancel().catch(() => undefined);
    });
    const revokedAt = targets.filter((_, i) => answers[i]?.status === 200).map((b) => b.name);
    return withAnswerHeaders(routed(answers[failed] as Response, names, reason, version, call.requestId), {
      'x-zpe-revoked-at': revokedAt.join(',') || 'none',
      'x-zpe-revoked': report,
    });
  }
  const revoked = counts.reduce<number>((sum, n) => sum + (typeof n === 'number' && Number.isFinite(n) ? n : 0), 0);
  return withAnswerHeaders(routed(jsonAnswer({ revoked_count: revoked }), names, reason, version, call.requestId), {
    'x-zpe-revoked': report,
  });
}

/** Routing decisions in one place: route override, else flags -> the routing table -> a backend, or the legacy refusal. */
export function createDispatch(router: Router): Dispatch {
  const random = router.random ?? Math.random;

  const serve = (backend: Backend, call: OperationCall): Promise<Response> =>
    serveBy(backend, call, undefined, backend.name === 'nextgen' ? router.checkNextgen : undefined);

  /**
   * The continuity try: bounded by the other backend's own deadline for the operation (an HTTP
   * backend's, or the Redis command timeout), and whatever goes wrong there, no answer.
   */
  const tryElsewhere = async (other: Backend, call: OperationCall, id: OperationId): Promise<Response | undefined> => {
    try {
      return await serve(other, call);
    } catch (err) {
      router.logger?.warn('read continuity: the other backend failed', {
        operation: id,
        backend: other.name,
        error: err instanceof Error ? err.message : String(err),
      });
      return undefined;
    }
  };

  const shadow = (call: OperationCall, id: OperationId, served: Backend, answer: Response) => {
    const other = router.backends[OTHER[served.name]];
    if (!other || !router.parity) return;
    const parity = router.parity;
    const work = (async () => {
      try {
        // Its own clock: the client's abort must not cancel the comparison.
        const shadowAnswer = await serveBy(other, call, AbortSignal.timeout(10_000));
        await parity.compare(id, {
          served: answer,
          shadow: shadowAnswer,
          requestId: call.requestId,
          servedBy: served.name,
          shadowedBy: other.name,
        });
      } catch (err) {
        await parity.recordFailure(id);
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
    const flags = router.flags();
    const state = flags instanceof Promise ? await flags : flags;
    const version = state.version;
    // The user matters only under a rollout; then it is resolved once and shared with the backend.
    const user = router.userOf && needsUser(id, state) ? await router.userOf(call.request) : undefined;
    const want = decide(id, state, user);

    if ('gateway' in want) {
      const answer = await router.gateway(call).catch((err: unknown) => {
        if (err instanceof ApiError) return refusal(err);
        throw err;
      });
      return routed(answer, 'gateway', 'gateway', version, call.requestId);
    }
    if ('everywhere' in want) return revokeEverywhere(call, router, want.everywhere, version);

    // An answer the gateway gives itself on a flag comes, as at the legacy, after the caller's identity.
    const afterIdentity = async (answer: () => Response, backend: string, reason: string): Promise<Response> => {
      const checker = router.backends.legacy;
      if (checker?.identify && !FLAG_BEFORE_IDENTITY.includes(id)) {
        try {
          await checker.identify(call);
        } catch (err) {
          if (err instanceof ApiError)
            return routed(refusal(err), checker.name, `${reason};identity`, version, call.requestId);
          throw err;
        }
      }
      return routed(answer(), backend, reason, version, call.requestId);
    };

    if ('empty' in want) return afterIdentity(() => answerOf(null, 204, {}), 'gateway', want.empty);
    if ('off' in want) {
      const route = want.route;
      if (route && !router.backends[route])
        return afterIdentity(() => refusal(notConfigured(id, route)), 'gateway', 'not-configured');
      return afterIdentity(() => refusal(new ApiError(503, want.off)), 'gateway', 'flag');
    }

    if ('stateless' in want) {
      const backend =
        router.backends.nextgen ?? (router.backends.legacy?.kind === 'http' ? router.backends.legacy : undefined);
      // Neither upstream: the gateway's own reader answers as the legacy does.
      if (!backend) return routed(await serveParse(call), 'gateway', 'stateless:builtin', version, call.requestId);
      return routed(await serve(backend, call), backend.name, 'stateless', version, call.requestId);
    }

    const backend = router.backends[want.backend];
    if (!backend) return afterIdentity(() => refusal(notConfigured(id, want.backend)), 'gateway', want.reason);

    let answer = await serve(backend, call);
    if (want.inRollout && backend.name === 'nextgen') {
      router.rolloutEvidence?.(want.inRollout.flag, want.inRollout.generation, answer.status);
    }
    let servedBy = backend;
    let reason = want.reason;
    // Read continuity: a job submitted through the other backend is still readable here.
    if (answer.status === 404 && JOB_READS.includes(id)) {
      const other = router.backends[OTHER[backend.name]];
      const second = other ? await tryElsewhere(other, call, id) : undefined;
      if (other && second && foundJob(second)) {
        discard(answer);
        answer = second;
        servedBy = other;
        reason = `${want.reason};continuity:${other.name}`;
      } else if (second) discard(second);
    }
    if (isRead(call.operation) && state.shadow && answer.ok && random() < state.shadow.sample_rate) {
      shadow(call, id, servedBy, copyAnswer(answer));
    }
    return routed(answer, servedBy.name, reason, version, call.requestId);
  };
}

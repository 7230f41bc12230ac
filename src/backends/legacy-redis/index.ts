import { bearerToken } from '../../auth/identity.js';
import { markVerified } from '../../auth/verified.js';
import type { OperationId } from '../../contract/operations.js';
import type { OperationCall } from '../../http/app.js';
import { ApiError } from '../../http/errors.js';
import type { Backend } from '../backend.js';
import { createContext, type Handler, type LegacyDeps } from './context.js';
import { downloadJobFile, getJobResult, getJobStatus, identifyJobOwner, submitJob } from './jobs.js';
import { listQueueTargets, selectQueueTarget } from './targets.js';
import { tokenHash } from './values.js';
import {
  createEnrollToken,
  identifyWorker,
  leaseJob,
  registerComputeServer,
  reportJobFailure,
  reportJobResult,
  revokeComputeServer,
} from './workers.js';

export { legacyBacklog } from './backlog.js';
export type { LegacyDeps } from './context.js';

const HANDLERS: Partial<Record<OperationId, Handler>> = {
  submitJob,
  getJobStatus,
  getJobResult,
  downloadJobFile,
  createEnrollToken,
  registerComputeServer,
  revokeComputeServer,
  leaseJob,
  reportJobResult,
  reportJobFailure,
  listQueueTargets,
  selectQueueTarget,
};

/** Operations whose caller is a worker: their scripts check the token before anything else. */
const WORKER_OPERATIONS = new Set<OperationId>(['leaseJob', 'reportJobResult', 'reportJobFailure']);
const JOB_READS = new Set<OperationId>(['getJobStatus', 'getJobResult', 'downloadJobFile']);
const USER_OPERATIONS = new Set<OperationId>(['submitJob', 'listQueueTargets', 'selectQueueTarget']);

/**
 * The legacy control plane, built in: every operation of legacy-redis-layout.md served on Redis with
 * the legacy's keys and values, each multi-key change one server-side script. The Redis connection
 * belongs to the caller, who closes it.
 */
export function createLegacyRedisBackend(deps: LegacyDeps): Backend {
  const ctx = createContext(deps);

  /**
   * The worker scripts answer the token check first: any outcome but 401, 403 or a failure of Redis
   * itself means the token was accepted, and that is what the worker is counted by.
   */
  async function serveWorker(handler: Handler, call: OperationCall): Promise<Response> {
    const accepted = () => {
      const token = bearerToken(call.request);
      if (token !== undefined) markVerified(call.request, { kind: 'worker', tokenHash: tokenHash(token) });
    };
    try {
      const answer = await handler(ctx, call);
      accepted();
      return answer;
    } catch (err) {
      if (err instanceof ApiError && err.status !== 401 && err.status !== 403 && err.status < 500) accepted();
      throw err;
    }
  }
  return {
    name: 'legacy',
    kind: 'builtin',
    serve(call) {
      const id = call.operation.operationId as OperationId;
      const handler = HANDLERS[id];
      // Parsing is stateless and outside the retirement: the built-in legacy has no parser service.
      if (!handler)
        return Promise.reject(
          new ApiError(503, `${call.operation.operationId} is not served by the built-in legacy backend`),
        );
      // Handed on as it is: no promise of its own around the handler's.
      return WORKER_OPERATIONS.has(id) ? serveWorker(handler, call) : handler(ctx, call);
    },
    async identify(call) {
      const id = call.operation.operationId as OperationId;
      if (WORKER_OPERATIONS.has(id)) {
        const hash = await identifyWorker(ctx, call.request);
        markVerified(call.request, { kind: 'worker', tokenHash: hash });
      } else if (JOB_READS.has(id)) await identifyJobOwner(ctx, call);
      else if (USER_OPERATIONS.has(id)) await ctx.users.authenticate(call.request);
      else if (id === 'createEnrollToken') {
        if (!ctx.admin.isAdmin(call.request)) await ctx.users.authenticate(call.request);
      } else if (id === 'revokeComputeServer') ctx.admin.require(call.request);
    },
    async check() {
      await ctx.run(() => ctx.redis.ping());
      return 'ok';
    },
    async close() {},
  };
}

import type { OperationId } from '../../contract/operations.js';
import { ApiError } from '../../http/errors.js';
import type { Backend } from '../backend.js';
import { createContext, type Handler, type LegacyDeps } from './context.js';
import { downloadJobFile, getJobResult, getJobStatus, submitJob } from './jobs.js';
import { listQueueTargets, selectQueueTarget } from './targets.js';
import {
  createEnrollToken,
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

/**
 * The legacy control plane, built in: every operation of legacy-redis-layout.md served on Redis with
 * the legacy's keys and values, each multi-key change one server-side script. The Redis connection
 * belongs to the caller, who closes it.
 */
export function createLegacyRedisBackend(deps: LegacyDeps): Backend {
  const ctx = createContext(deps);
  return {
    name: 'legacy',
    kind: 'builtin',
    async serve(call) {
      const handler = HANDLERS[call.operation.operationId as OperationId];
      // Parsing is stateless and outside the retirement: the built-in legacy has no parser service.
      if (!handler)
        throw new ApiError(503, `${call.operation.operationId} is not served by the built-in legacy backend`);
      return handler(ctx, call);
    },
    async check() {
      await ctx.run(() => ctx.redis.ping());
      return 'ok';
    },
    async close() {},
  };
}

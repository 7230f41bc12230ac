import type { BackendName } from '../backends/backend.js';
import type { OperationId } from '../contract/operations.js';
import type { FlagValues } from '../flags/flags.js';
import type { FlagState } from '../flags/state.js';
import { ROLLOUT_TARGETS, type RolloutFlag, type Rollouts, rolloutApplies, rolloutChoice } from '../rollout/rollout.js';

/**
 * Which backend serves each operation, read straight off DESIGN.md's operations table.
 * A rule looks at the flags and answers the backend it wants, or the legacy 503 message when a
 * flag turns the operation off.
 */
export type Want =
  | { backend: 'legacy' | 'nextgen'; reason: string }
  /**
   * 503 with the legacy's message. `route`: where the flags would send the operation otherwise; when that
   * backend is not configured, its unavailability is answered first (the legacy checks the route first).
   */
  | { off: string; route?: 'legacy' | 'nextgen' }
  /** Answer 204 without touching any backend (lease while dequeue is disabled). */
  | { empty: string }
  | { gateway: true }
  /** Every configured backend, answers combined: emergency revoke reaches wherever the server's tokens were issued. */
  | { everywhere: string }
  /** Prefer next-gen, else an HTTP legacy (stateless operations outside the retirement). */
  | { stateless: true };

type Rule = (flags: FlagValues) => Want;

const workerEndpoints: Rule = (f) =>
  f.legacy_worker_endpoints_enabled
    ? { backend: 'legacy', reason: 'flag:legacy_worker_endpoints_enabled=true' }
    : { backend: 'nextgen', reason: 'flag:legacy_worker_endpoints_enabled=false' };

/** The reads of a job, routed by `result_read_source`: what read continuity and the parity gate are about. */
export const JOB_READS: readonly OperationId[] = ['getJobStatus', 'getJobResult', 'downloadJobFile'];

const resultReads: Rule = (f) =>
  f.result_read_source === 'redis'
    ? { backend: 'legacy', reason: 'flag:result_read_source=redis' }
    : { backend: 'nextgen', reason: 'flag:result_read_source=projection' };

export const ROUTING_TABLE: Record<OperationId, Rule> = {
  parseQeInput: () => ({ stateless: true }),
  submitJob: (f) => {
    const want: Want =
      f.submission_route === 'redis-worker'
        ? { backend: 'legacy', reason: 'flag:submission_route=redis-worker' }
        : { backend: 'nextgen', reason: 'flag:submission_route=next-gen' };
    return f.submission_enabled ? want : { off: 'zpe submissions disabled', route: want.backend };
  },
  getJobStatus: resultReads,
  getJobResult: resultReads,
  downloadJobFile: resultReads,
  createEnrollToken: workerEndpoints,
  registerComputeServer: workerEndpoints,
  revokeComputeServer: () => ({ everywhere: 'emergency-revoke' }),
  leaseJob: (f) => {
    const want = workerEndpoints(f);
    if ('backend' in want && want.backend === 'legacy' && !f.dequeue_enabled)
      return { empty: 'flag:dequeue_enabled=false' };
    return want;
  },
  reportJobResult: workerEndpoints,
  reportJobFailure: workerEndpoints,
  listQueueTargets: () => ({ backend: 'legacy', reason: 'default' }),
  selectQueueTarget: () => ({ backend: 'legacy', reason: 'default' }),
  getOpsFlags: () => ({ gateway: true }),
  updateOpsFlags: () => ({ gateway: true }),
};

/**
 * The legacy's order of checks is request validation, identity, then flags; these operations check their
 * flag before identity (legacy-http-behaviour.md, "Check order").
 */
export const FLAG_BEFORE_IDENTITY: readonly OperationId[] = ['createEnrollToken'];

/** The legacy control plane's 503 message when an operation's flag sends it to a next-gen that is not configured. */
export const UNAVAILABLE_MESSAGE: Partial<Record<OperationId, string>> = {
  submitJob: 'submission route not available',
  getJobStatus: 'result read source not available',
  getJobResult: 'result read source not available',
  downloadJobFile: 'result read source not available',
  createEnrollToken: 'legacy worker endpoints disabled by cutover flag',
  registerComputeServer: 'legacy worker endpoints disabled by cutover flag',
  leaseJob: 'legacy worker endpoints disabled by cutover flag',
  reportJobResult: 'legacy worker endpoints disabled by cutover flag',
  reportJobFailure: 'legacy worker endpoints disabled by cutover flag',
};

/** The operations a rollout splits by user: submissions and the job reads. Worker endpoints never (workers drain one queue). */
export const ROLLOUT_PATHS: Partial<Record<OperationId, RolloutFlag>> = {
  submitJob: 'submission_route',
  getJobStatus: 'result_read_source',
  getJobResult: 'result_read_source',
  downloadJobFile: 'result_read_source',
};

/** The rollout deciding `id` for this state, if any: routing then needs the user. */
export function rolloutOf(id: OperationId, values: FlagValues, rollouts: Rollouts): RolloutFlag | undefined {
  const flag = ROLLOUT_PATHS[id];
  return flag && rolloutApplies(flag, rollouts[flag], values) ? flag : undefined;
}

/**
 * The table's answer for one user: under a rollout, the rule sees the flag value of the user's
 * bucket, and the reason names the bucket (`rollout:submission_route=next-gen@10%`).
 */
export function routeFor(
  id: OperationId,
  values: FlagValues,
  rollouts: Rollouts,
  userId: string | undefined,
): Want & { inRollout?: { flag: RolloutFlag; generation: string } } {
  const flag = rolloutOf(id, values, rollouts);
  const rollout = flag ? rollouts[flag] : undefined;
  if (!flag || !rollout) return ROUTING_TABLE[id](values);
  const choice = rolloutChoice(flag, rollout, userId);
  const want = ROUTING_TABLE[id]({ ...values, [flag]: choice.value });
  if (!('backend' in want)) return want;
  const inRollout = choice.inside ? { inRollout: { flag, generation: rollout.set_at } } : {};
  return { ...want, reason: choice.reason, ...inRollout };
}

export type RoutingState = Pick<FlagState, 'values' | 'overrides'> & Partial<Pick<FlagState, 'rollouts'>>;

/** Whether routing `id` needs the user: no route override pins it and a rollout splits it. */
export function needsUser(id: OperationId, state: RoutingState): boolean {
  return !state.overrides[id] && rolloutOf(id, state.values, state.rollouts ?? {}) !== undefined;
}

/**
 * The routing decision for one request, the one dispatch acts on: a route override pins the
 * operation to a backend (the gateway's own operations excepted); else the table, under a rollout
 * for the user's bucket.
 */
export function decide(
  id: OperationId,
  state: RoutingState,
  userId?: string,
): Want & { inRollout?: { flag: RolloutFlag; generation: string } } {
  const override = state.overrides[id];
  const want = routeFor(id, state.values, state.rollouts ?? {}, userId);
  return override && !('gateway' in want)
    ? { backend: override.backend, reason: `override:${override.backend}` }
    : want;
}

/**
 * Every backend `id` may be sent to under `state`: the one decided for users outside any rollout,
 * and, while a rollout splits it, the one its users inside reach.
 */
export function backendsFor(id: OperationId, state: RoutingState): BackendName[] {
  const wants = [decide(id, state)];
  const flag = needsUser(id, state) ? rolloutOf(id, state.values, state.rollouts ?? {}) : undefined;
  if (flag) wants.push(ROUTING_TABLE[id]({ ...state.values, [flag]: ROLLOUT_TARGETS[flag] }));
  return wants.flatMap((want) => ('backend' in want ? [want.backend] : []));
}

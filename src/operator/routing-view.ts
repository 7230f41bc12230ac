import type { Backend, BackendName } from '../backends/backend.js';
import type { OperationId } from '../contract/operations.js';
import { backendsFor, decide, needsUser, type RoutingState, rolloutOf, UNAVAILABLE_MESSAGE } from '../routing/table.js';

/** Where an operation goes now and why, in words: the routing table read with the flags in force. */
export interface RouteNow {
  /** `legacy`, `nextgen`, `legacy+nextgen`, `gateway`, or `none` (answers 503 / 204 without a backend). */
  backend: string;
  why: string;
  /** The operation cannot be served as the flags stand (503). */
  unavailable?: string;
}

export function routeNow(
  id: OperationId,
  state: RoutingState,
  backends: Partial<Record<BackendName, Backend>>,
): RouteNow {
  // The decision dispatch makes, for a user outside any rollout.
  const want = decide(id, state);
  const override = state.overrides[id];
  if ('gateway' in want) return { backend: 'gateway', why: 'served by the gateway itself' };
  if ('everywhere' in want)
    return { backend: Object.keys(backends).join('+') || 'none', why: 'emergency revoke: every configured backend' };
  if ('empty' in want) return { backend: 'none', why: `${want.empty}: answers 204 (nothing to lease)` };
  if ('off' in want) return { backend: 'none', why: 'turned off by flag', unavailable: want.off };
  if ('stateless' in want) {
    if (backends.nextgen) return { backend: 'nextgen', why: 'stateless: next-gen when configured' };
    if (backends.legacy?.kind === 'http') return { backend: 'legacy', why: 'stateless: no next-gen, HTTP legacy' };
    return { backend: 'gateway', why: 'stateless: no upstream, the gateway’s own QE reader' };
  }
  const why = want.reason.startsWith('override:')
    ? `pinned by ${override?.actor ?? 'an operator'}: ${override?.reason ?? ''}`
    : want.reason;
  if (!backends[want.backend]) {
    return {
      backend: 'none',
      why,
      unavailable: UNAVAILABLE_MESSAGE[id] ?? `${want.backend} backend not configured`,
    };
  }
  // A rollout splits the operation: both backends serve it, by the user's bucket.
  const flag = needsUser(id, state) ? rolloutOf(id, state.values, state.rollouts ?? {}) : undefined;
  const rollout = flag ? state.rollouts?.[flag] : undefined;
  if (flag && rollout) {
    const reached = backendsFor(id, state).filter((name) => backends[name]);
    return {
      backend: [...new Set(reached)].join('+'),
      why: `rollout: ${flag} to next-gen for ${rollout.percent}% of users`,
    };
  }
  return { backend: want.backend, why };
}

import type { Backend, BackendName } from '../backends/backend.js';
import type { OperationId } from '../contract/operations.js';
import type { FlagState } from '../flags/state.js';
import { ROUTING_TABLE, UNAVAILABLE_MESSAGE } from '../routing/table.js';

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
  state: Pick<FlagState, 'values' | 'overrides'>,
  backends: Partial<Record<BackendName, Backend>>,
): RouteNow {
  const rule = ROUTING_TABLE[id](state.values);
  const override = state.overrides[id];
  const want =
    override && !('gateway' in rule) ? { backend: override.backend, reason: `override:${override.backend}` } : rule;
  if ('gateway' in want) return { backend: 'gateway', why: 'served by the gateway itself' };
  if ('everywhere' in want)
    return { backend: Object.keys(backends).join('+') || 'none', why: 'emergency revoke: every configured backend' };
  if ('empty' in want) return { backend: 'none', why: `${want.empty}: answers 204 (nothing to lease)` };
  if ('off' in want) return { backend: 'none', why: 'turned off by flag', unavailable: want.off };
  if ('stateless' in want) {
    if (backends.nextgen) return { backend: 'nextgen', why: 'stateless: next-gen when configured' };
    if (backends.legacy?.kind === 'http') return { backend: 'legacy', why: 'stateless: no next-gen, HTTP legacy' };
    return { backend: 'none', why: 'stateless', unavailable: 'neither next-gen nor an HTTP legacy is configured' };
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
  return { backend: want.backend, why };
}

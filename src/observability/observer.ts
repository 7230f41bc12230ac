import type { BackendName } from '../backends/backend.js';
import type { OperationId } from '../contract/operations.js';
import type { ShadowOutcome } from './evidence.js';
import type { RequestRecord } from './request-record.js';

/** Why a backend call produced no answer: a timeout, or the HTTP client's failure. */
export type UpstreamErrorKind = 'timeout' | 'unreachable' | 'reset' | 'invalid_response' | 'broken_body';

/**
 * What the gateway reports as it happens, for a runtime's metrics (Node: prom-client, metrics.ts). Every
 * method is optional and must be cheap: the request path calls them.
 */
export interface GatewayObserver {
  requestDone?(record: RequestRecord): void;
  upstreamError?(backend: BackendName, kind: UpstreamErrorKind): void;
  shadowOutcome?(operation: OperationId, outcome: ShadowOutcome): void;
  violation?(operation: OperationId): void;
}

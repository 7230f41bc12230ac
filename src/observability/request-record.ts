import type { OperationId } from '../contract/operations.js';

/** One request as the log line and the metrics see it, built once where the request log line is written. */
export interface RequestRecord {
  requestId: string;
  method: string;
  path: string;
  status: number;
  /** The contract operation the request matched; undefined for anything else (health, docs, no route). */
  operation: OperationId | undefined;
  /** `legacy`, `nextgen`, `legacy+nextgen` (revoke), `gateway`. */
  backend: string | undefined;
  routeReason: string | undefined;
  flagsVersion: string | undefined;
  /** Until the answer's headers were ready (a streamed body may still be flowing). */
  durationSeconds: number;
  /** Time spent waiting for backends (sum over the calls made for this request); undefined: none was called. */
  upstreamSeconds: number | undefined;
  traceId: string | undefined;
}

/** What a request's backend calls add up to; the backends' wrapper (observed-backend.ts) adds, the log line reads. */
export interface RequestTiming {
  upstreamMs: number;
  calls: number;
  /** False once the request's record is written: background work (shadow reads) no longer adds. */
  open: boolean;
}

/** A request running inside its trace; `end` closes the gateway's span with what the request came to. */
export interface RequestTrace {
  traceId: string | undefined;
  end(record: RequestRecord): void;
}

/** Runs the rest of a request (`next`) inside a trace span continued from the request's `traceparent`. */
export type RequestTracer = (request: Request, next: () => Promise<void>) => Promise<RequestTrace>;

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}/;

/** The trace id of a W3C `traceparent` header (an all-zero id is invalid), without any tracing library. */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  const id = traceparent ? TRACEPARENT.exec(traceparent.trim().toLowerCase())?.[1] : undefined;
  return id && id !== '00000000000000000000000000000000' ? id : undefined;
}

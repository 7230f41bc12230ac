import type { OperationCall } from '../http/app.js';

export type BackendName = 'legacy' | 'nextgen';

/**
 * One place a contract operation can be served: the built-in legacy backend on Redis, a legacy
 * control plane over HTTP, or next-gen over HTTP. Every backend takes a validated call and answers
 * with a Web-standard Response in the contract's shapes.
 */
export interface Backend {
  readonly name: BackendName;
  /** `builtin` (served in-process) or `http` (forwarded upstream). */
  readonly kind: 'builtin' | 'http';
  serve(call: OperationCall, signal?: AbortSignal): Promise<Response>;
  /** Resolves with a short status, rejects with the reason when the backend cannot serve. */
  check(): Promise<string>;
  close(): Promise<void>;
}

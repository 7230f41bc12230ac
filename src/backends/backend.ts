import type { OperationCall } from '../http/app.js';
import type { ClientGone } from '../http/client-gone.js';

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
  /** `stop` ends the call early: the client went away (default `call.clientGone`), or a caller's own budget ran out. */
  serve(call: OperationCall, stop?: ClientGone): Promise<Response>;
  /**
   * The operation's identity checks (user, owner of a job, worker, admin) exactly as serving would make
   * them, without serving: for the answers the gateway gives itself when a flag turns an operation off,
   * which the legacy gives only after identity. Throws the ApiError serving would answer (401, 403, 404,
   * 503); resolves when the caller passes. Optional: an HTTP backend checks identity upstream.
   */
  identify?(call: OperationCall): Promise<void>;
  /** Resolves with a short status, rejects with the reason when the backend cannot serve. */
  check(): Promise<string>;
  close(): Promise<void>;
}

import { attached } from '../http/attached.js';

/**
 * Who a request was shown to be, once something checked its credentials: a user whose JWT (or, in
 * dev-bypass, whose header) was accepted, the admin token, a worker token the legacy store knows, or an
 * HTTP backend that answered without refusing the credentials the request carries. Recorded per request,
 * so whatever runs after the answer (counting callers of deprecated operations) learns the verified
 * caller without checking the credentials again, and never mistakes a forged claim for a caller.
 */
export type VerifiedCaller =
  | { kind: 'user'; id: string }
  | { kind: 'admin' }
  /** The sha256 hex of a worker token the legacy backend accepted. */
  | { kind: 'worker'; tokenHash: string }
  /** An upstream accepted the request's own credentials; who they name is read from the request. */
  | { kind: 'upstream' };

// On the request object: an entry lives exactly as long as its request.
const verified = attached<Request, VerifiedCaller>('verified caller');

export function markVerified(request: Request, caller: VerifiedCaller): void {
  // The first verification stands: a later, weaker one (an upstream's) must not replace a checked identity.
  if (verified.get(request) === undefined) verified.set(request, caller);
}

/** The caller verified for this request, or undefined when nothing (yet) accepted its credentials. */
export function verifiedCaller(request: Request): VerifiedCaller | undefined {
  return verified.get(request);
}

/**
 * The one thing an HTTP backend needs from an HTTP client, so the backend runs wherever a client
 * exists: an undici Pool on Node (fast), `fetch` on Workers (the only choice there).
 */
export interface UpstreamRequest {
  method: string;
  /** Absolute path and query string, e.g. `/v2/zpe/jobs/abc?kind=summary`; the client knows the origin. */
  path: string;
  /** Lower-case names; hop-by-hop headers already removed. */
  headers: Record<string, string>;
  body?: string;
  /** Longest silence allowed between body chunks once the answer has started, where the client can enforce it. */
  idleTimeoutMs?: number;
}

export interface UpstreamResponse {
  status: number;
  /** Owned by the caller, which may change it. */
  headers: Headers;
  /** Null for answers that have no body (204, 205, 304). */
  body: ReadableStream<Uint8Array> | null;
}

/** Why a call failed before an answer arrived; the backend turns it into a 502 naming itself. */
export type UpstreamFailure = 'unreachable' | 'reset' | 'invalid-response';

export class UpstreamError extends Error {
  override name = 'UpstreamError';
  constructor(
    readonly failure: UpstreamFailure,
    /** The client's own code (ECONNREFUSED, UND_ERR_SOCKET, ...): for logs only, never for clients. */
    readonly detail: string,
  ) {
    super(`${failure}: ${detail}`);
  }
}

export interface UpstreamClient {
  /**
   * Resolves once the status and headers have arrived; the body streams after. Aborting `signal`
   * cancels the call, body included. Rejects with UpstreamError when the upstream cannot answer,
   * or with the abort reason.
   */
  request(request: UpstreamRequest, signal: AbortSignal): Promise<UpstreamResponse>;
  close(): Promise<void>;
}

/** Makes a client bound to one origin (`http://host:port`), so a Pool can keep its connections. */
export type UpstreamClientFactory = (origin: string) => UpstreamClient;

/** Statuses a Response must not carry a body with. */
export const NULL_BODY_STATUSES: ReadonlySet<number> = new Set([101, 204, 205, 304]);

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Sorts a client's error code into the failures the backend tells apart. */
export function failureOf(code: string): UpstreamFailure {
  if (UNREACHABLE.has(code)) return 'unreachable';
  if (code.startsWith('HPE_') || code === 'HTTPParserError' || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH')
    return 'invalid-response';
  return 'reset';
}

const GENERIC_NAMES = new Set(['Error', 'TypeError', 'AbortError']);

/**
 * What went wrong, for sorting and logs: the `code` of an error or of its causes (fetch keeps it
 * there), else the most specific error name (undici's HTTPParserError may carry no code).
 */
export function errorCode(err: unknown): string | undefined {
  let name: string | undefined;
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as Error & { code?: unknown }).code;
    if (typeof code === 'string') return code;
    if (!GENERIC_NAMES.has(e.name)) name ??= e.name;
  }
  return name;
}

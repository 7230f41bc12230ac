import type { CallStopped, Deadline } from './deadline.js';

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
}

/** An answer's headers as received: lower-case names, repeated ones (set-cookie) as a list. */
export type UpstreamHeaders = Record<string, string | string[]>;

/**
 * An answer whose status and headers have arrived. Its body is read at most once: `whole()`, then
 * (only if it said the body is longer) `stream()`, or `discard()`. A failure after the headers (reset,
 * fewer bytes than content-length, the deadline) rejects `whole()` or errors the stream.
 */
export interface UpstreamAnswer {
  status: number;
  headers: UpstreamHeaders;
  /** The whole body, if it ends within `limit` bytes; `undefined` when it is longer (then `stream()` the rest). */
  whole(limit: number): Promise<Uint8Array | undefined>;
  /** The body, from what `whole()` already read, as a stream; `done` runs once it ended, failed or was cancelled. */
  stream(done: () => void): ReadableStream<Uint8Array>;
  /** The body is not wanted. */
  discard(): void;
}

/** Why a call failed; the backend turns it into a 502 naming itself. */
export type UpstreamFailure = 'unreachable' | 'reset' | 'invalid-response' | 'broken-body';

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
   * Resolves once the status and headers have arrived. The deadline covers the whole call, body
   * included: when it stops the call, the client cancels whatever is in flight and rejects (or errors
   * the body) with the deadline's CallStopped. Rejects with UpstreamError when the upstream cannot answer.
   */
  request(request: UpstreamRequest, deadline: Deadline): Promise<UpstreamAnswer>;
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

/** Sorts a client's error code into the failures the backend tells apart; `answered`: the headers had arrived. */
export function failureOf(code: string, answered = false): UpstreamFailure {
  if (answered) return 'broken-body';
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

/** The error a client rejects with: the deadline's reason when it stopped the call, else an UpstreamError. */
export function upstreamFailure(err: unknown, deadline: Deadline, answered: boolean): CallStopped | UpstreamError {
  if (deadline.stopped) return deadline.stopped;
  if (err instanceof UpstreamError) return err;
  const code = errorCode(err);
  return new UpstreamError(failureOf(code ?? 'unknown', answered), code ?? String(err));
}

/** Joins the chunks read so far into one. */
export function joined(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

import type { UpstreamHeaders } from './upstream-client.js';

/** Headers that describe one connection, not the message: never forwarded, either way (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

const NONE_LISTED: ReadonlySet<string> = new Set();

/** Names the sender listed in `Connection`, which are hop-by-hop for this message too. */
function connectionTokens(value: string | null | undefined): ReadonlySet<string> {
  // The usual values name no other header.
  if (!value || value === 'keep-alive' || value === 'close') return NONE_LISTED;
  const tokens = new Set<string>();
  for (const token of value.split(',')) {
    const name = token.trim().toLowerCase();
    if (name) tokens.add(name);
  }
  return tokens;
}

function isHopByHop(name: string, listed: ReadonlySet<string>): boolean {
  return HOP_BY_HOP.has(name) || name.startsWith('proxy-') || listed.has(name);
}

/**
 * An upstream's answer headers as the client gets them: hop-by-hop ones removed (also those named in
 * its `Connection`). A plain record (the cheapest for @hono/node-server to write), or pairs when a
 * header repeats (set-cookie).
 */
export function forwardedAnswerHeaders(received: UpstreamHeaders): Record<string, string> | [string, string][] {
  const connection = received.connection;
  const listed = connectionTokens(typeof connection === 'string' ? connection : connection?.join(','));
  let pairs: [string, string][] | undefined;
  const out: Record<string, string> = {};
  for (const name in received) {
    if (isHopByHop(name, listed)) continue;
    const value = received[name] as string | string[];
    if (typeof value === 'string') out[name] = value;
    else {
      pairs ??= [];
      for (const v of value) pairs.push([name, v]);
    }
  }
  if (!pairs) return out;
  for (const name in out) pairs.push([name, out[name] as string]);
  return pairs;
}

/** The client's end-to-end headers an upstream sees, besides the ones the gateway sets itself (W3C trace context included). */
const FORWARDED_REQUEST_HEADERS = ['authorization', 'accept', 'traceparent', 'tracestate'] as const;

function appended(existing: string | null, value: string | undefined): string | undefined {
  if (!value) return existing ?? undefined;
  return existing ? `${existing}, ${value}` : value;
}

/**
 * The headers to send upstream: an allow-list (authorization, accept, and the dev-bypass identity
 * headers only where the caller passes them: with dev-bypass on), x-request-id, content-type for a JSON body, and the x-forwarded-* trail with this hop
 * appended. A header the client named in `Connection` is dropped even when allowed.
 */
export function upstreamRequestHeaders(
  request: Request,
  options: {
    requestId: string;
    hasBody: boolean;
    identityHeaders: readonly string[];
    clientAddress: string | undefined;
  },
): Record<string, string> {
  const incoming = request.headers;
  const listed = connectionTokens(incoming.get('connection'));
  const received = (name: string) => (listed.has(name) ? null : incoming.get(name));
  const out: Record<string, string> = {};
  const copy = (name: string) => {
    const value = received(name);
    if (value !== null) out[name] = value;
  };
  for (const name of FORWARDED_REQUEST_HEADERS) copy(name);
  for (const name of options.identityHeaders) copy(name);

  out['x-request-id'] = options.requestId;
  if (options.hasBody) out['content-type'] = 'application/json';

  // Cheaper than parsing the URL on every forwarded call.
  const proto = request.url.slice(0, request.url.indexOf(':'));
  const host = incoming.get('host') ?? new URL(request.url).host;
  const forwardedFor = appended(received('x-forwarded-for'), options.clientAddress);
  if (forwardedFor) out['x-forwarded-for'] = forwardedFor;
  const forwardedProto = appended(received('x-forwarded-proto'), proto);
  if (forwardedProto) out['x-forwarded-proto'] = forwardedProto;
  const forwardedHost = appended(received('x-forwarded-host'), host);
  if (forwardedHost) out['x-forwarded-host'] = forwardedHost;
  return out;
}

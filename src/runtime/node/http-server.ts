import type { Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { Config } from '../../config/env.js';
import type { Logger } from '../../observability/log.js';

/** What Node's HTTP parser refused, as the status and message the client gets. */
function refusalOf(code: string | undefined): { status: number; reason: string; message: string } {
  if (code === 'HPE_HEADER_OVERFLOW')
    return { status: 431, reason: 'Request Header Fields Too Large', message: 'request headers too large' };
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return { status: 408, reason: 'Request Timeout', message: 'request not received in time' };
  return { status: 400, reason: 'Bad Request', message: 'malformed HTTP request' };
}

/**
 * Options for Node's HTTP server (`serve({ serverOptions })`): how long a client may take to send its
 * headers and its whole request, checked every second (Node's default: every 30 s), so a slow body no
 * longer holds a socket for minutes.
 */
export function nodeServerOptions(config: Pick<Config, 'server'>): ServerOptions {
  const { headersTimeoutMs, requestTimeoutMs } = config.server;
  return {
    headersTimeout: headersTimeoutMs,
    requestTimeout: requestTimeoutMs,
    connectionsCheckingInterval: Math.min(1_000, headersTimeoutMs),
  };
}

/**
 * Node's HTTP server hardened: a bound on how long a client may take to send its headers and its
 * whole request (a slow body no longer holds a socket for minutes), and requests the parser refuses
 * (bad chunk sizes, content-length with transfer-encoding, over-long headers, bad bytes in the path)
 * answered in the error envelope instead of an empty body. Nothing of this runs per request.
 */
export function hardenNodeServer(server: Server, config: Pick<Config, 'server'>, logger: Logger): void {
  // Also set here for a server made without nodeServerOptions (their check then runs only every 30 s).
  server.headersTimeout = config.server.headersTimeoutMs;
  server.requestTimeout = config.server.requestTimeoutMs;
  server.on('clientError', (err: Error & { code?: string }, socket: Socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const refusal = refusalOf(err.code);
    logger.info('request refused by the HTTP parser', { code: err.code, status: refusal.status });
    // Something was already written for a request on this socket: nothing sound can follow.
    const pending = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (pending?.headersSent) {
      socket.destroy();
      return;
    }
    const body = JSON.stringify({ error: { code: 'bad_request', message: refusal.message } });
    socket.end(
      `HTTP/1.1 ${refusal.status} ${refusal.reason}\r\ncontent-type: application/json\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
}

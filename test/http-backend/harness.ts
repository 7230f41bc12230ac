import { once } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { type HttpBindings, serve } from '@hono/node-server';
import type { Backend } from '../../src/backends/backend.js';
import { createFetchClient } from '../../src/backends/http/fetch-client.js';
import { createHttpBackend, type HttpBackendOptions } from '../../src/backends/http/http-backend.js';
import { createUndiciClient } from '../../src/backends/http/undici-client.js';
import type { UpstreamClientFactory } from '../../src/backends/http/upstream-client.js';
import { loadConfig } from '../../src/config/env.js';
import { createGateway } from '../../src/http/app.js';
import { ApiError } from '../../src/http/errors.js';
import { jsonLogger, silentLogger } from '../../src/observability/log.js';
import { createDispatch } from '../../src/routing/dispatch.js';
import { connectionClosed } from '../../src/runtime/node/client-gone.js';
import { hardenNodeServer, nodeServerOptions } from '../../src/runtime/node/http-server.js';
import { environmentFlags } from '../support/environment-flags.js';

/** Both HTTP clients must pass the same tests. */
export const CLIENTS: { label: string; client: UpstreamClientFactory }[] = [
  { label: 'undici Pool', client: createUndiciClient },
  { label: 'fetch', client: createFetchClient },
];

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type UpstreamHandler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

export interface Upstream {
  origin: string;
  /** Every request the upstream received, in order, once its body was read. */
  seen: SeenRequest[];
  /** TCP connections the upstream accepted. */
  readonly connections: number;
  close(): Promise<void>;
}

/** A real upstream on a free loopback port; `handler` answers each request after its body was read. */
export async function startUpstream(handler: UpstreamHandler): Promise<Upstream> {
  const seen: SeenRequest[] = [];
  let connections = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  server.on('connection', () => {
    connections++;
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    seen,
    get connections() {
      return connections;
    },
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

export interface Gateway {
  origin: string;
  backend: Backend;
  /** The gateway's Node HTTP server, e.g. to wait for a request to arrive. */
  server: Server;
  close(): Promise<void>;
}

export type BackendSetup = Omit<HttpBackendOptions, 'timeouts' | 'logger'> & {
  timeouts?: HttpBackendOptions['timeouts'];
};

/**
 * The real gateway (contract validation, routing by flags) served by @hono/node-server, with one
 * HTTP backend. Flags send submissions and reads to whichever backend is given.
 */
export async function startGateway(
  setup: BackendSetup,
  options: { logs?: string[]; server?: { headersTimeoutMs: number; requestTimeoutMs: number } } = {},
): Promise<Gateway> {
  const config = loadConfig({
    AUTH_MODE: 'dev-bypass',
    ZPE_BUILTIN_LEGACY: 'false',
    ZPE_CUTOVER_SUBMISSION_ROUTE: setup.name === 'nextgen' ? 'next-gen' : 'redis-worker',
    ZPE_CUTOVER_RESULT_READ_SOURCE: setup.name === 'nextgen' ? 'projection' : 'redis',
  });
  const backend = createHttpBackend({
    // dev-bypass is on here, so its identity headers are forwarded.
    identityHeaders: ['x-dev-user-id', 'x-dev-user-email'],
    ...setup,
    timeouts: setup.timeouts ?? { defaultMs: config.upstreamTimeoutMs },
    logger: silentLogger,
  });
  const dispatch = createDispatch({
    backends: { [setup.name]: backend },
    flags: environmentFlags(config),
    gateway: async () => {
      throw new ApiError(503, 'no flag store in this test');
    },
  });
  const logs = options.logs;
  const logger = logs ? jsonLogger('info', (line) => logs.push(line)) : silentLogger;
  const app = createGateway({
    dispatch,
    logger,
    maxBodyBytes: config.maxBodyBytes,
    // As src/runtime/node/compose.ts does.
    clientGone: (c) => connectionClosed((c.env as HttpBindings).outgoing),
  });
  // As src/runtime/node/main.ts does.
  const limits = { server: options.server ?? config.server };
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1', serverOptions: nodeServerOptions(limits) });
  hardenNodeServer(server as Server, limits, logger);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    backend,
    server: server as Server,
    close: async () => {
      if ('closeAllConnections' in server) server.closeAllConnections();
      server.close();
      await once(server, 'close');
      await backend.close();
    },
  };
}

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A request with headers fetch refuses to send (Connection, TE, ...), over a fresh connection. */
export async function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawAnswer> {
  const req = request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false });
  req.end(options.body);
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) };
}

/** Resolves with the next value pushed, for waiting on an event the upstream sees. */
export function signal<T = void>(): { promise: Promise<T>; fire(value: T): void } {
  let fire!: (value: T) => void;
  const promise = new Promise<T>((resolve) => {
    fire = resolve;
  });
  return { promise, fire };
}

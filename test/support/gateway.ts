import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { type Config, loadConfig } from '../../src/config/env.js';
import { jsonLogger } from '../../src/observability/log.js';
import { composeNodeGateway, type NodeGateway, type NodeGatewayOptions } from '../../src/runtime/node/compose.js';

export const TEST_ADMIN_TOKEN = 'test-admin-token';

export interface RunningGateway {
  origin: string;
  config: Config;
  gateway: NodeGateway;
  logs: string[];
  /** fetch against the gateway, with the admin token when `admin` is set. */
  fetch(path: string, init?: RequestInit & { admin?: boolean; user?: string; json?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

/**
 * The gateway exactly as `npm start` composes it (src/runtime/node/compose.ts), served over HTTP on
 * 127.0.0.1 with `env` as its environment (dev-bypass identity and an admin token by default), on the
 * committed retirement manifest unless `options.manifest` is given.
 */
export async function startGateway(
  env: Record<string, string>,
  options: Pick<NodeGatewayOptions, 'manifest'> = {},
): Promise<RunningGateway> {
  const config = loadConfig({
    AUTH_MODE: 'dev-bypass',
    ZPE_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    ZPE_REDIS_TIMEOUT_MS: '500',
    ...env,
  });
  const logs: string[] = [];
  const gateway = await composeNodeGateway(
    config,
    jsonLogger('info', (line) => logs.push(line)),
    options,
  );
  const server = serve({ fetch: gateway.app.fetch, port: 0, hostname: '127.0.0.1' });
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    config,
    gateway,
    logs,
    fetch(path, init = {}) {
      const { admin, user, json, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (admin) headers.set('authorization', `Bearer ${TEST_ADMIN_TOKEN}`);
      if (user) headers.set('x-dev-user-id', user);
      if (json !== undefined) headers.set('content-type', 'application/json');
      return fetch(`${origin}${path}`, {
        ...rest,
        headers,
        body: json !== undefined ? JSON.stringify(json) : rest.body,
      });
    },
    async close() {
      server.close();
      if ('closeAllConnections' in server) server.closeAllConnections();
      await gateway.close();
    },
  };
}

/**
 * The soak test's gateway: composed as `npm start` does (flags in Redis, routing to next-gen, the
 * next-gen check, caller counting, the request log), in its own process under `--expose-gc`, so its
 * heap is measured alone. Answers `{ heap }` (bytes used after full collections) to each 'heap' message.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { loadConfig } from '../../src/config/env.js';
import { jsonLogger } from '../../src/observability/log.js';
import { composeNodeGateway } from '../../src/runtime/node/compose.js';
import { hardenNodeServer, nodeServerOptions } from '../../src/runtime/node/http-server.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const config = loadConfig(process.env);
// Every line formatted as in production, but not kept: the pipe would only measure the parent.
const logger = jsonLogger(config.logLevel, () => {});
const gateway = await composeNodeGateway(config, logger);
const server = serve({
  fetch: gateway.app.fetch,
  port: 0,
  hostname: '127.0.0.1',
  serverOptions: nodeServerOptions(config),
});
hardenNodeServer(server as Server, config, logger);
server.on('listening', () => process.send?.({ port: (server.address() as AddressInfo).port }));

process.on('message', async (message) => {
  if (message !== 'heap') return;
  // Several rounds with turns between: finalizers and weak references need them to let go.
  for (let i = 0; i < 6; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  process.send?.({ heap: process.memoryUsage().heapUsed });
});

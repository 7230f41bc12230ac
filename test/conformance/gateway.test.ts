import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { afterAll, describe, expect, it } from 'vitest';
import { runConformance } from '../../contract-tests/suite.js';
import { loadConfig } from '../../src/config/env.js';
import { buildDocument } from '../../src/contract/document.js';
import { silentLogger } from '../../src/observability/log.js';
import { composeNodeGateway } from '../../src/runtime/node/compose.js';
import { startRedis } from '../support/redis-server.js';
import { declareChecks } from './declare.js';

const ADMIN_TOKEN = 'conformance-admin-token';

// The gateway as `npm start` builds it (flag store, admin operations, routing), with its built-in
// legacy backend on a private redis-server serving every routed operation.
const redis = await startRedis();
const config = loadConfig({ AUTH_MODE: 'dev-bypass', ZPE_REDIS_URL: redis.url, ZPE_ADMIN_TOKEN: ADMIN_TOKEN });
const gateway = await composeNodeGateway(config, silentLogger);
const server = serve({ fetch: gateway.app.fetch, port: 0, hostname: '127.0.0.1' });
await once(server, 'listening');
afterAll(async () => {
  if ('closeAllConnections' in server) server.closeAllConnections();
  server.close();
  await once(server, 'close');
  await gateway.close();
  await redis.stop();
});

// Validated against the document the code generates; `npm run contract:check` keeps the committed
// artifact equal to it.
const report = await runConformance({
  document: buildDocument(),
  baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  adminToken: ADMIN_TOKEN,
});

describe('conformance of the gateway with its built-in legacy backend', () => {
  // Parse is stateless: with no next-gen or HTTP legacy configured the gateway answers it itself.
  declareChecks(report, () => 'pass');

  it('walked the whole contract, validating every answer', () => {
    expect(report.checks.length).toBeGreaterThanOrEqual(30);
    expect(report.responses).toBeGreaterThanOrEqual(50);
  });

  it('left the jobs it submitted in Redis, where the legacy layout keeps them', async () => {
    const raw = redis.client();
    expect((await raw.keys('zpe:status:http-*')).length).toBe(2);
  });
});

import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AdminAuthenticator } from '../auth/identity.js';
import type { GatewayEnv } from '../http/app.js';
import type { GatewayMetrics } from './metrics.js';

/** `GET /metrics`: Prometheus text, for the admin bearer token only (scrape with `authorization: credentials`). */
export function mountMetrics(app: OpenAPIHono<GatewayEnv>, metrics: GatewayMetrics, admin: AdminAuthenticator): void {
  app.get('/metrics', async (c) => {
    admin.require(c.req.raw);
    const { contentType, body } = await metrics.exposition();
    return c.body(body, 200, { 'content-type': contentType });
  });
}

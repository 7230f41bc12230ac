import { createRequire } from 'node:module';
import { dirname, relative } from 'node:path';
import { getConnInfo } from '@hono/node-server/conninfo';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Redis } from 'ioredis';
import { createAdminAuthenticator, createUserAuthenticator } from '../../auth/index.js';
import { configuredHttpBackends } from '../../backends/http/configured.js';
import { createUndiciClient } from '../../backends/http/undici-client.js';
import { createLegacyRedisBackend, legacyBacklog } from '../../backends/legacy-redis/index.js';
import type { Config } from '../../config/env.js';
import { redisFlagStorage } from '../../flags/redis-storage.js';
import { assembleGateway, type Gateway } from '../../gateway.js';
import { legacyWorkerLabel, redisCallerStore } from '../../lifecycle/callers-redis.js';
import type { Logger } from '../../observability/log.js';
import { createRedis } from '../../redis/client.js';
import { oncePerRequest } from '../../rollout/identity.js';
import { redisRolloutCoordination } from '../../rollout/redis-coordination.js';

export interface NodeGateway extends Gateway {
  redis: Redis;
}

/** swagger-ui-dist's folder, so /docs works without reaching a CDN. */
const swaggerUiRoot = relative(
  process.cwd(),
  dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json')),
);

/** The gateway on Node: Redis for flags and the built-in legacy backend, undici for HTTP backends. */
export async function composeNodeGateway(config: Config, logger: Logger): Promise<NodeGateway> {
  const redis = createRedis(config.redisUrl, config.redisTimeoutMs);
  redis.on('error', (err: Error) => logger.warn('redis', { error: err.message }));
  const users = oncePerRequest(createUserAuthenticator(config.auth));
  const admin = createAdminAuthenticator(config.adminToken);

  const backends = configuredHttpBackends(config, (origin) => createUndiciClient(origin), logger);
  if (!backends.legacy && config.builtinLegacy) {
    backends.legacy = createLegacyRedisBackend({ redis, config, users, admin, logger });
  }

  const gateway = await assembleGateway({
    config,
    logger,
    admin,
    backends,
    flagStorage: redisFlagStorage(redis),
    users,
    rolloutCoordination: redisRolloutCoordination(redis),
    legacyBacklog: backends.legacy?.kind === 'builtin' ? () => legacyBacklog(redis) : undefined,
    lifecycle: {
      callerStore: redisCallerStore(redis),
      workerLabel: backends.legacy?.kind === 'builtin' ? legacyWorkerLabel(redis) : undefined,
    },
    docsAssetBase: '/docs/assets',
    clientAddress: (c) => getConnInfo(c).remote.address,
    extend: (app) => {
      app.use(
        '/docs/assets/*',
        serveStatic({ root: swaggerUiRoot, rewriteRequestPath: (path) => path.replace(/^\/docs\/assets/, '') }),
      );
    },
    readiness: {
      redis: async () => {
        await redis.ping();
        return 'ok';
      },
    },
  });

  return {
    ...gateway,
    redis,
    close: async () => {
      await gateway.close();
      redis.disconnect();
    },
  };
}

import { createRequire } from 'node:module';
import { dirname, relative } from 'node:path';
import type { HttpBindings } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Redis } from 'ioredis';
import { createAdminAuthenticator, createUserAuthenticator } from '../../auth/index.js';
import { oncePerRequest } from '../../auth/per-request.js';
import { configuredHttpBackends } from '../../backends/http/configured.js';
import { createUndiciClient } from '../../backends/http/undici-client.js';
import { createLegacyRedisBackend, legacyBacklog } from '../../backends/legacy-redis/index.js';
import type { Config } from '../../config/env.js';
import { redisFlagStorage } from '../../flags/redis-storage.js';
import { assembleGateway, type Gateway } from '../../gateway.js';
import { legacyWorkerLabel, redisCallerStore } from '../../lifecycle/callers-redis.js';
import { lifecycleOf } from '../../lifecycle/http.js';
import type { RetirementManifest } from '../../lifecycle/manifest.js';
import { buildInfo } from '../../observability/build-info.js';
import { redisEvidenceStore } from '../../observability/evidence-redis.js';
import type { Logger } from '../../observability/log.js';
import { GatewayMetrics } from '../../observability/metrics.js';
import { mountMetrics } from '../../observability/metrics-route.js';
import { observedUpstreamClient } from '../../observability/observed-upstream.js';
import { observeRedisCommands } from '../../observability/redis-commands.js';
import { startTracing } from '../../observability/tracing.js';
import { createRedis } from '../../redis/client.js';
import { redisRolloutCoordination } from '../../rollout/redis-coordination.js';
import { connectionClosed } from './client-gone.js';

export interface NodeGateway extends Gateway {
  redis: Redis;
  metrics: GatewayMetrics;
  /** Present when tracing is on (OTEL_TRACES_EXPORTER). */
  tracing?: ReturnType<typeof startTracing>;
}

/** swagger-ui-dist's folder, so /docs works without reaching a CDN. */
const swaggerUiRoot = relative(
  process.cwd(),
  dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json')),
);

/** The gateway on Node: Redis for flags and the built-in legacy backend, undici for HTTP backends. */
export interface NodeGatewayOptions {
  /** Where the standard OTEL_* variables are read (default: the process environment). */
  env?: Record<string, string | undefined>;
  /** The retirement manifest (default: the committed routes/retirement.json). */
  manifest?: RetirementManifest;
}

export async function composeNodeGateway(
  config: Config,
  logger: Logger,
  options: NodeGatewayOptions = {},
): Promise<NodeGateway> {
  const env = options.env ?? process.env;
  const build = buildInfo();
  const tracing = startTracing(env, build, logger);
  const metrics = new GatewayMetrics(build);
  const redis = createRedis(config.redisUrl, config.redisTimeoutMs, config.redisSentinel);
  redis.on('error', (err: Error) => logger.warn('redis', { error: err.message }));
  observeRedisCommands(redis, { onError: (command, kind) => metrics.redisError(command, kind), tracing });
  const users = oncePerRequest(createUserAuthenticator(config.auth));
  const admin = createAdminAuthenticator(config.adminToken);

  const legacyOrigin = config.legacyUrl ? new URL(config.legacyUrl).origin : undefined;
  const backends = configuredHttpBackends(
    config,
    (origin) =>
      observedUpstreamClient(createUndiciClient(origin), {
        backend: origin === legacyOrigin ? 'legacy' : 'nextgen',
        observer: metrics,
        tracing,
        origin,
      }),
    logger,
  );
  const evidence = redisEvidenceStore(redis);
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
      manifest: options.manifest,
      callerStore: redisCallerStore(redis),
      workerLabel: backends.legacy?.kind === 'builtin' ? legacyWorkerLabel(redis) : undefined,
    },
    evidence,
    observer: metrics,
    trace: tracing?.request,
    docsAssetBase: '/docs/assets',
    clientAddress: (c) => getConnInfo(c).remote.address,
    clientGone: (c) => connectionClosed((c.env as HttpBindings).outgoing),
    // Runtime routes, mounted before the catch-all 404: the docs assets here; /metrics and /_gateway
    // (src/observability) mount here too. With ZPE_ADMIN_PORT, listeners.ts serves /metrics, /_gateway
    // and /admin/* on the admin listener only.
    extend: (app) => {
      app.use(
        '/docs/assets/*',
        serveStatic({ root: swaggerUiRoot, rewriteRequestPath: (path) => path.replace(/^\/docs\/assets/, '') }),
      );
      mountMetrics(app, metrics, admin);
    },
    readiness: {
      redis: async () => {
        await redis.ping();
        return 'ok';
      },
    },
  });

  metrics.attach({
    flags: () => gateway.flags.snapshot(),
    evidence: () => evidence.read(),
    lifecycle: lifecycleOf(gateway.retirement.options),
    callers: (operations, days) => gateway.retirement.callers.read(operations, days),
  });

  return {
    ...gateway,
    redis,
    metrics,
    tracing,
    close: async () => {
      await gateway.close();
      redis.disconnect();
      await tracing?.shutdown();
    },
  };
}

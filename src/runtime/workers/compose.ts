import { createAdminAuthenticator } from '../../auth/index.js';
import type { Backend, BackendName } from '../../backends/backend.js';
import { createFetchClient } from '../../backends/http/fetch-client.js';
import { createHttpBackend } from '../../backends/http/http-backend.js';
import { kvFlagStorage } from '../../flags/kv-storage.js';
import { assembleGateway, type Gateway } from '../../gateway.js';
import { jsonLogger } from '../../observability/log.js';
import { flagNamespace, type WorkersEnv, workersConfig } from './env.js';
import { isolateFlagStorage } from './isolate-storage.js';

/**
 * How long an isolate serves its cached flags before reading KV again: KV cannot push a change, so
 * this refresh is how a change arrives.
 */
export const WORKERS_FLAG_REFRESH_MS = 1_000;

export interface WorkersGateway extends Gateway {
  /**
   * Re-reads the flags from KV in the background when the isolate's copy is older than the refresh
   * interval; the request that calls it keeps serving the copy it has. Called on every request:
   * the flag store's own timed refresh cannot be relied on here, since its cache keeps its clock
   * fresh with a timer, and workerd drops a request's timers when the request ends.
   */
  refreshFlags(): void;
}

/**
 * The gateway on Cloudflare Workers: the same assembly as on Node, with HTTP backends over fetch,
 * flags in KV, configuration from vars and secrets, and background work kept alive by waitUntil.
 */
export async function composeWorkersGateway(
  env: WorkersEnv,
  background: (work: Promise<unknown>) => void,
): Promise<WorkersGateway> {
  const config = workersConfig(env);
  const kv = flagNamespace(env);
  const logger = jsonLogger(config.logLevel);

  const http = (name: BackendName, baseUrl: string, basePath?: string): Backend =>
    createHttpBackend({
      name,
      baseUrl,
      basePath,
      client: (origin) => createFetchClient(origin),
      timeouts: { defaultMs: config.upstreamTimeoutMs, byOperation: config.upstreamTimeouts },
      identityHeaders: [config.auth.devUserIdHeader, config.auth.devEmailHeader],
      clientAddress: (call) => call.clientAddress,
      logger,
    });

  const backends: Partial<Record<BackendName, Backend>> = {};
  if (config.legacyUrl) backends.legacy = http('legacy', config.legacyUrl);
  if (config.nextgenUrl) backends.nextgen = http('nextgen', config.nextgenUrl, config.nextgenBasePath);

  const gateway = await assembleGateway({
    config,
    logger,
    admin: createAdminAuthenticator(config.adminToken),
    backends,
    flagStorage: isolateFlagStorage(kvFlagStorage(kv), background),
    background,
    flagRefreshMs: WORKERS_FLAG_REFRESH_MS,
    // Set by Cloudflare's edge for every request; a client cannot choose it.
    clientAddress: (c) => c.req.header('cf-connecting-ip'),
  });

  let loadedAt = Date.now();
  return {
    ...gateway,
    refreshFlags() {
      if (Date.now() - loadedAt < WORKERS_FLAG_REFRESH_MS) return;
      loadedAt = Date.now();
      background(
        gateway.flags.fresh().catch((err: unknown) =>
          logger.warn('flags: KV unreachable, serving last known values', {
            error: err instanceof Error ? err.message : String(err),
          }),
        ),
      );
    },
  };
}

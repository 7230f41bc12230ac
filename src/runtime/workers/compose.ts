import { createAdminAuthenticator } from '../../auth/index.js';
import { configuredHttpBackends } from '../../backends/http/configured.js';
import { createFetchClient } from '../../backends/http/fetch-client.js';
import { kvFlagStorage } from '../../flags/kv-storage.js';
import { assembleGateway, type Gateway } from '../../gateway.js';
import { jsonLogger } from '../../observability/log.js';
import { flagNamespace, type WorkersEnv, workersConfig } from './env.js';
import { isolateFlagStorage } from './isolate-storage.js';

/**
 * The gateway on Cloudflare Workers: the same assembly as on Node, with HTTP backends over fetch,
 * flags in KV, configuration from vars and secrets, and background work kept alive by waitUntil.
 */
export async function composeWorkersGateway(
  env: WorkersEnv,
  background: (work: Promise<unknown>) => void,
): Promise<Gateway> {
  const config = workersConfig(env);
  const kv = flagNamespace(env);
  const logger = jsonLogger(config.logLevel);

  const backends = configuredHttpBackends(config, (origin) => createFetchClient(origin), logger);

  return assembleGateway({
    config,
    logger,
    admin: createAdminAuthenticator(config.adminToken),
    backends,
    flagStorage: isolateFlagStorage(kvFlagStorage(kv), background),
    background,
    // KV cannot push a change and an isolate keeps no timer: it re-reads KV at most once per bound
    // (ZPE_FLAG_STALENESS_MS), and the first request past it waits for the read.
    flagRefreshMs: config.flagStalenessMs,
    flagTimer: false,
    // Set by Cloudflare's edge for every request; a client cannot choose it.
    clientAddress: (c) => c.req.header('cf-connecting-ip'),
  });
}

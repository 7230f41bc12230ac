import type { Config } from '../../config/env.js';
import type { Logger } from '../../observability/log.js';
import type { Backend, BackendName } from '../backend.js';
import { createHttpBackend } from './http-backend.js';
import type { UpstreamClientFactory } from './upstream-client.js';

/** The HTTP backends the configuration names (ZPE_LEGACY_URL, ZPE_NEXTGEN_URL), the same on every runtime. */
export function configuredHttpBackends(
  config: Config,
  client: UpstreamClientFactory,
  logger: Logger,
): Partial<Record<BackendName, Backend>> {
  const http = (name: BackendName, baseUrl: string, basePath?: string): Backend =>
    createHttpBackend({
      name,
      baseUrl,
      basePath,
      client,
      timeouts: { defaultMs: config.upstreamTimeoutMs, byOperation: config.upstreamTimeouts },
      // A client's dev identity headers mean nothing outside dev-bypass: never forwarded then.
      identityHeaders:
        config.auth.mode === 'dev-bypass' ? [config.auth.devUserIdHeader, config.auth.devEmailHeader] : [],
      clientAddress: (call) => call.clientAddress,
      logger,
    });
  const backends: Partial<Record<BackendName, Backend>> = {};
  if (config.legacyUrl) backends.legacy = http('legacy', config.legacyUrl);
  if (config.nextgenUrl) backends.nextgen = http('nextgen', config.nextgenUrl, config.nextgenBasePath);
  return backends;
}

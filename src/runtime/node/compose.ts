import type { Backend, BackendName } from '../../backends/backend.js';
import type { Config } from '../../config/env.js';
import { environmentFlags } from '../../flags/static.js';
import { createGateway } from '../../http/app.js';
import { ApiError } from '../../http/errors.js';
import type { Logger } from '../../observability/log.js';
import { createDispatch } from '../../routing/dispatch.js';

export interface NodeGateway {
  app: ReturnType<typeof createGateway>;
  close(): Promise<void>;
}

/** Wires the gateway for Node from its configuration: backends, flags, routing, the app. */
export async function composeNodeGateway(config: Config, logger: Logger): Promise<NodeGateway> {
  const backends: Partial<Record<BackendName, Backend>> = {};
  const flags = environmentFlags(config);
  const dispatch = createDispatch({
    backends,
    flags,
    gateway: async () => {
      throw new ApiError(503, 'the flag store is not configured');
    },
  });
  const app = createGateway({
    dispatch,
    logger,
    maxBodyBytes: config.maxBodyBytes,
    ready: async () => {
      const checks: Record<string, string> = {};
      let ok = true;
      for (const backend of Object.values(backends)) {
        try {
          checks[backend.name] = await backend.check();
        } catch (err) {
          ok = false;
          checks[backend.name] = err instanceof Error ? err.message : String(err);
        }
      }
      return { ok, checks };
    },
  });
  return {
    app,
    close: async () => {
      await Promise.all(Object.values(backends).map((b) => b.close()));
    },
  };
}

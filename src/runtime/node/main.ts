import { ConfigError, loadConfig } from '../../config/env.js';
import { jsonLogger } from '../../observability/log.js';
import { composeNodeGateway } from './compose.js';
import { startListeners } from './listeners.js';
import { gracefulShutdown } from './shutdown.js';

/**
 * The gateway on Node, configured from the environment: `node dist/runtime/node/main.js` in
 * production (npm run build), through tsx in development (npm run dev). SIGTERM/SIGINT drain it.
 */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`zpe-gateway: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = jsonLogger(config.logLevel);
  const gateway = await composeNodeGateway(config, logger);
  const listeners = await startListeners(gateway.app.fetch, config, logger);

  const stop = gracefulShutdown({
    listeners,
    beginShutdown: () => gateway.beginShutdown(),
    close: () => gateway.close(),
    drainMs: config.shutdownDrainMs,
    graceMs: config.shutdownGraceMs,
    logger,
    exit: (code) => process.exit(code),
  });
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`zpe-gateway: cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

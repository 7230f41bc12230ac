import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { ConfigError, loadConfig } from '../../config/env.js';
import { jsonLogger } from '../../observability/log.js';
import { composeNodeGateway } from './compose.js';
import { hardenNodeServer, nodeServerOptions } from './http-server.js';

/** `npm start`: the gateway on Node, configured from the environment, stopped gracefully by SIGTERM/SIGINT. */
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
  const server = serve(
    { fetch: gateway.app.fetch, port: config.port, hostname: config.host, serverOptions: nodeServerOptions(config) },
    (info) => logger.info('listening', { port: info.port }),
  );
  hardenNodeServer(server as Server, config, logger);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    const force = setTimeout(() => {
      logger.warn('in-flight requests did not finish in time', { grace_ms: config.shutdownGraceMs });
      process.exit(1);
    }, config.shutdownGraceMs);
    force.unref();
    // Stop accepting; close idle keep-alive sockets so in-flight requests are all that is left.
    server.close(async () => {
      await gateway.close();
      logger.info('stopped');
      process.exit(0);
    });
    if ('closeIdleConnections' in server) server.closeIdleConnections();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();

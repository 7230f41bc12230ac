import type { Logger } from '../../observability/log.js';
import type { Listener } from './listeners.js';

export interface ShutdownParts {
  listeners: Listener[];
  /** Turns /readyz to 503. */
  beginShutdown: () => void;
  /** Closes flags, upstream pools and Redis, once no request is left. */
  close: () => Promise<void>;
  /** ZPE_SHUTDOWN_DRAIN_MS: how long the listeners keep serving, not ready, before they stop accepting. */
  drainMs: number;
  /** ZPE_SHUTDOWN_GRACE_MS: how long in-flight requests may take after that. */
  graceMs: number;
  logger: Logger;
  exit: (code: number) => void;
}

function closed(listener: Listener): Promise<void> {
  return new Promise((resolve) => listener.server.close(() => resolve()));
}

/**
 * The graceful stop, in the order an orchestrator's load balancer needs: not ready at once (so it
 * stops sending new requests), still serving for the drain period (requests routed before it
 * noticed), then no new connections; in-flight requests finish, bounded by the grace period; then
 * the pools and Redis close and the process exits 0 (1 when requests had to be cut off). A second
 * signal ends the drain early.
 */
export function gracefulShutdown(parts: ShutdownParts): (signal: string) => void {
  const { logger } = parts;
  let endDrain: (() => void) | undefined;
  let stopping = false;

  async function stop(signal: string) {
    logger.info('shutting down', { signal, drain_ms: parts.drainMs, grace_ms: parts.graceMs });
    parts.beginShutdown();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, parts.drainMs);
      endDrain = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    logger.info('drained: no longer accepting connections');
    let cutOff = false;
    const finished = Promise.all(parts.listeners.map(closed));
    // Keep-alive connections with no request on them would hold close() open until they time out.
    for (const { server } of parts.listeners) if ('closeIdleConnections' in server) server.closeIdleConnections();
    let graceTimer: NodeJS.Timeout | undefined;
    await Promise.race([
      finished,
      new Promise<void>((resolve) => {
        graceTimer = setTimeout(() => {
          cutOff = true;
          logger.warn('in-flight requests did not finish in time', { grace_ms: parts.graceMs });
          for (const { server } of parts.listeners) if ('closeAllConnections' in server) server.closeAllConnections();
          resolve();
        }, parts.graceMs);
      }),
    ]);
    clearTimeout(graceTimer);
    try {
      await parts.close();
    } catch (err) {
      logger.warn('closing the gateway failed', { error: err instanceof Error ? err.message : String(err) });
    }
    logger.info('stopped', { cut_off: cutOff });
    parts.exit(cutOff ? 1 : 0);
  }

  return (signal) => {
    if (stopping) {
      logger.info('second signal: ending the drain now', { signal });
      endDrain?.();
      return;
    }
    stopping = true;
    void stop(signal);
  };
}

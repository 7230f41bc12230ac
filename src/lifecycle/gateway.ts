import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AdminAuthenticator } from '../auth/identity.js';
import type { Config } from '../config/env.js';
import type { OperationId } from '../contract/operations.js';
import type { GatewayEnv } from '../http/app.js';
import { ApiError } from '../http/errors.js';
import type { Logger } from '../observability/log.js';
import {
  CALLER_FLUSH_MS,
  type CallerCounter,
  type CallerStore,
  callerTotals,
  createCallerCounter,
  memoryCallerStore,
} from './callers.js';
import { committedManifest } from './committed.js';
import { deriveLifecycle, type Lifecycle } from './derive.js';
import type { LifecycleOptions } from './http.js';
import { parseManifest, type RetirementManifest } from './manifest.js';

/** What a runtime may give the gateway for the retirement; everything has a default. */
export interface LifecycleParts {
  /** Default: the committed routes/retirement.json. */
  manifest?: RetirementManifest;
  /** Default: in memory (this instance only); Node passes Redis so every instance counts together. */
  callerStore?: CallerStore;
  workerLabel?: (tokenHash: string) => Promise<string | undefined>;
  /** How often counts are stored; default CALLER_FLUSH_MS where no waitUntil keeps work alive (Node). */
  callerFlushMs?: number;
  /** Distinct callers per operation between two flushes (default MAX_CALLERS_PER_FLUSH). */
  maxCallersPerFlush?: number;
}

export interface GatewayLifecycleDeps {
  config: Pick<Config, 'auth' | 'deprecationDocsUrl'>;
  admin: AdminAuthenticator;
  logger: Logger;
  background?: (work: Promise<unknown>) => void;
  parts?: LifecycleParts;
}

/** The longest look back at callers; the Redis counts expire after 30 days. */
const MAX_DAYS = 30;

/**
 * The retirement as the assembled gateway runs it: the manifest checked at start, callers of deprecated
 * operations counted, and `GET /admin/callers` (admin bearer) to read them. That report is deliberately
 * outside `/api/zpe`: it is about the retirement, not part of the published contract.
 */
export function gatewayLifecycle(deps: GatewayLifecycleDeps): {
  options: LifecycleOptions;
  callers: CallerCounter;
  extend: (app: OpenAPIHono<GatewayEnv>) => void;
} {
  const manifest = deps.parts?.manifest ? parseManifest(deps.parts.manifest) : committedManifest();
  const lifecycle = deriveLifecycle(manifest);
  const callers = createCallerCounter({
    store: deps.parts?.callerStore ?? memoryCallerStore(),
    workerLabel: deps.parts?.workerLabel,
    devUserIdHeader: deps.config.auth.mode === 'dev-bypass' ? deps.config.auth.devUserIdHeader : undefined,
    isAdmin: (request) => deps.admin.isAdmin(request),
    background: deps.background,
    // Without waitUntil (Node) counts are stored on a timer, so other instances and `retire status`
    // see them within seconds; on Workers each isolate counts for itself.
    flushEveryMs: deps.parts?.callerFlushMs ?? (deps.background ? undefined : CALLER_FLUSH_MS),
    maxCallersPerFlush: deps.parts?.maxCallersPerFlush,
    logger: deps.logger,
  });
  return {
    options: { manifest, docsUrl: deps.config.deprecationDocsUrl, callers },
    callers,
    extend: (app) => {
      app.get('/admin/callers', async (c) => {
        deps.admin.require(c.req.raw);
        const raw = c.req.query('days') ?? '7';
        const days = Number(raw);
        if (!/^\d+$/.test(raw) || days < 1 || days > MAX_DAYS) {
          throw new ApiError(400, `days must be a whole number from 1 to ${MAX_DAYS}, not '${raw}'`);
        }
        return c.json(await callerReport(lifecycle, callers, days));
      });
    },
  };
}

/** Who called each deprecated (or already removed) operation over the last `days` days. */
export async function callerReport(lifecycle: Lifecycle, callers: CallerCounter, days: number) {
  const watched = [...lifecycle].filter(([, entry]) => entry.state !== 'active');
  let log: Awaited<ReturnType<CallerCounter['read']>>;
  try {
    log = await callers.read(
      watched.map(([id]) => id),
      days,
    );
  } catch {
    throw new ApiError(503, 'caller counts unavailable: their storage (Redis) cannot be read');
  }
  const totals = callerTotals(log);
  const operations: Record<string, unknown> = {};
  for (const [id, entry] of watched) {
    operations[id] = {
      state: entry.state,
      item: 'item' in entry ? entry.item : null,
      callers: totals[id as OperationId] ?? {},
      by_day: log[id as OperationId] ?? {},
    };
  }
  return { days, dropped_counts: callers.failures(), operations };
}

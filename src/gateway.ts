import { createOpsAdmin } from './admin/ops.js';
import type { AdminAuthenticator, UserAuthenticator } from './auth/identity.js';
import type { Backend, BackendName } from './backends/backend.js';
import type { Config } from './config/env.js';
import type { FlagStorage } from './flags/storage.js';
import { FlagStore } from './flags/store.js';
import { createGateway, type GatewayOptions } from './http/app.js';
import { gatewayLifecycle, type LifecycleParts } from './lifecycle/gateway.js';
import type { Logger } from './observability/log.js';
import type { RolloutCoordination } from './rollout/coordination.js';
import { routingUserOf } from './rollout/identity.js';
import { RolloutWatch } from './rollout/watch.js';
import { createDispatch } from './routing/dispatch.js';
import { createNextgenCheck, ViolationCounter } from './routing/response-check.js';
import { ParityTracker } from './routing/shadow.js';

export interface GatewayParts {
  config: Config;
  logger: Logger;
  admin: AdminAuthenticator;
  backends: Partial<Record<BackendName, Backend>>;
  flagStorage: FlagStorage;
  /** Jobs still waiting in the legacy queue, when this runtime can know (the built-in backend). */
  legacyBacklog?: () => Promise<number>;
  /** More readiness checks than the backends' own (e.g. Redis). */
  readiness?: Record<string, () => Promise<string>>;
  /** Keeps background work alive after the response (Workers' waitUntil). */
  background?: (work: Promise<unknown>) => void;
  flagRefreshMs?: number;
  /** Re-read flags on a timer (Node); false where no timer outlives a request (Workers). */
  flagTimer?: boolean;
  /** Users, resolved once per request (rollout/identity.ts): rollouts route by the user id. */
  users?: UserAuthenticator;
  /** Where rollout evidence is pooled and the guards' instance elected (Redis); none: no guard runs. */
  rolloutCoordination?: RolloutCoordination;
  extend?: GatewayOptions['extend'];
  /** The retirement manifest (default: the committed one) and where callers of deprecated operations are counted. */
  lifecycle?: LifecycleParts;
  docsAssetBase?: string;
  clientAddress?: GatewayOptions['clientAddress'];
}

export interface Gateway {
  app: ReturnType<typeof createGateway>;
  flags: FlagStore;
  rollouts?: RolloutWatch;
  parity: ParityTracker;
  violations: ViolationCounter;
  close(): Promise<void>;
}

async function healthOf(backend: Backend | undefined) {
  if (!backend) return { configured: false, healthy: false, detail: 'not configured' };
  try {
    return { configured: true, healthy: true, detail: await backend.check() };
  } catch (err) {
    return { configured: true, healthy: false, detail: err instanceof Error ? err.message : String(err) };
  }
}

/** The gateway from its parts, the same on every runtime: flags, admin operations, routing, the app. */
export async function assembleGateway(parts: GatewayParts): Promise<Gateway> {
  const { config, logger, backends } = parts;
  // First: a broken routes/retirement.json stops the start before anything connects.
  const retirement = gatewayLifecycle({
    config,
    admin: parts.admin,
    logger,
    background: parts.background,
    parts: parts.lifecycle,
  });
  const flags = new FlagStore({
    storage: parts.flagStorage,
    defaults: config.flagDefaults,
    logger,
    stalenessMs: config.flagStalenessMs,
    refreshMs: parts.flagRefreshMs,
    timer: parts.flagTimer,
  });
  await flags.start().catch((err: unknown) =>
    logger.warn('flags: starting without the flag store', {
      error: err instanceof Error ? err.message : String(err),
    }),
  );
  const parity = new ParityTracker();
  const violations = new ViolationCounter();

  const opsAdmin = createOpsAdmin({
    store: flags,
    admin: parts.admin,
    config,
    parity,
    violations,
    logger,
    guardContext: async () => ({
      nextgen: await healthOf(backends.nextgen),
      legacyBacklog: parts.legacyBacklog ? await parts.legacyBacklog().catch(() => undefined) : undefined,
    }),
  });

  const rollouts = parts.rolloutCoordination
    ? new RolloutWatch({
        store: flags,
        coordination: parts.rolloutCoordination,
        violations,
        parity,
        parityMinSamples: config.parity.minSamples,
        logger,
      })
    : undefined;
  rollouts?.start();

  const dispatch = createDispatch({
    backends,
    flags: () => flags.snapshot(),
    userOf: parts.users ? routingUserOf(parts.users) : undefined,
    rolloutEvidence: rollouts ? (flag, generation, status) => rollouts.record(flag, generation, status) : undefined,
    gateway: opsAdmin,
    logger,
    parity,
    checkNextgen: createNextgenCheck({ strict: config.strictResponses, logger, counter: violations }),
    background: parts.background,
  });

  const checks: Record<string, () => Promise<string>> = { ...parts.readiness };
  for (const backend of Object.values(backends)) checks[backend.name] = () => backend.check();

  const app = createGateway({
    dispatch,
    logger,
    maxBodyBytes: config.maxBodyBytes,
    extend: (app) => {
      retirement.extend(app);
      parts.extend?.(app);
    },
    lifecycle: retirement.options,
    docsAssetBase: parts.docsAssetBase,
    clientAddress: parts.clientAddress,
    flagsVersion: async () => (await flags.snapshot()).version,
    ready: async () => {
      const results = await Promise.all(
        Object.entries(checks).map(async ([name, check]) => {
          try {
            return [name, await check(), true] as const;
          } catch (err) {
            return [name, err instanceof Error ? err.message : String(err), false] as const;
          }
        }),
      );
      return {
        ok: results.every(([, , ok]) => ok),
        checks: Object.fromEntries(results.map(([name, detail]) => [name, detail])),
      };
    },
  });

  return {
    app,
    flags,
    rollouts,
    parity,
    violations,
    close: async () => {
      await retirement.callers.flush();
      await rollouts?.close().catch(() => undefined);
      await flags.close();
      await Promise.all(Object.values(backends).map((b) => b.close()));
    },
  };
}

import { createOpsAdmin } from './admin/ops.js';
import type { AdminAuthenticator, UserAuthenticator } from './auth/identity.js';
import { routingUserOf } from './auth/per-request.js';
import type { Backend, BackendName } from './backends/backend.js';
import type { Config } from './config/env.js';
import type { FlagStorage } from './flags/storage.js';
import { FlagStore } from './flags/store.js';
import { createGateway, type GatewayOptions } from './http/app.js';
import { committedManifest } from './lifecycle/committed.js';
import { gatewayLifecycle, type LifecycleParts } from './lifecycle/gateway.js';
import { lifecycleOf } from './lifecycle/http.js';
import { type EvidenceStore, memoryEvidenceStore } from './observability/evidence.js';
import type { Logger } from './observability/log.js';
import { observedBackend } from './observability/observed-backend.js';
import type { GatewayObserver } from './observability/observer.js';
import type { RequestTracer } from './observability/request-record.js';
import { TrafficWindow } from './observability/traffic.js';
import { mountOperatorPage } from './operator/routes.js';
import type { RolloutCoordination } from './rollout/coordination.js';
import { RolloutWatch } from './rollout/watch.js';
import { createDispatch } from './routing/dispatch.js';
import { createReadiness } from './routing/readiness.js';
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
  /** More readiness checks than the backends' own (e.g. the flags' Redis): reported, degraded at worst. */
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
  clientGone?: GatewayOptions['clientGone'];
  /** Where shadow parity and contract violations are kept (default: memory, this instance only; Node: Redis). */
  evidence?: EvidenceStore;
  /** Metrics (Node: prom-client); default none. */
  observer?: GatewayObserver;
  /** Runs each request inside a trace span when tracing is on (Node, OTEL_* variables). */
  trace?: RequestTracer;
}

export interface Gateway {
  app: ReturnType<typeof createGateway>;
  flags: FlagStore;
  rollouts?: RolloutWatch;
  parity: ParityTracker;
  violations: ViolationCounter;
  /** /readyz answers 503 from now on (the start of a graceful shutdown); requests are still served. */
  beginShutdown(): void;
  /** The retirement as this gateway runs it: the manifest, lifecycle and callers of deprecated operations. */
  retirement: ReturnType<typeof gatewayLifecycle>;
  /** This instance's recent traffic per operation and backend. */
  traffic: TrafficWindow;
  /** The configured backends, as routing sees them. */
  backends: Partial<Record<BackendName, Backend>>;
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
  const { config, logger, observer } = parts;
  const backends: Partial<Record<BackendName, Backend>> = {};
  for (const [name, backend] of Object.entries(parts.backends) as [BackendName, Backend][]) {
    backends[name] = observedBackend(backend, observer);
  }
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
  const evidence = parts.evidence ?? memoryEvidenceStore();
  const parity = new ParityTracker(evidence, { logger, onOutcome: observer?.shadowOutcome?.bind(observer) });
  const violations = new ViolationCounter(evidence, {
    logger,
    background: parts.background,
    onViolation: (operation) => {
      observer?.violation?.(operation);
      rollouts?.violation(operation);
    },
  });
  const traffic = new TrafficWindow();

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
        parity,
        parityMinSamples: config.parity.minSamples,
        logger,
      })
    : undefined;
  rollouts?.start();

  const dispatch = createDispatch({
    backends,
    flags: () => flags.current() ?? flags.snapshot(),
    userOf: parts.users ? routingUserOf(parts.users) : undefined,
    rolloutEvidence: rollouts ? (flag, generation, status) => rollouts.record(flag, generation, status) : undefined,
    gateway: opsAdmin,
    logger,
    parity,
    checkNextgen: createNextgenCheck({ strict: config.strictResponses, logger, counter: violations }),
    background: parts.background,
    revoke: {
      admin: parts.admin,
      // The built-in legacy checks the gateway's own admin token: only HTTP backends have their own.
      credentials: {
        legacy: backends.legacy?.kind === 'http' ? config.backendAdminTokens.legacy : undefined,
        nextgen: config.backendAdminTokens.nextgen,
      },
    },
  });

  const lifecycle = lifecycleOf(retirement.options);
  const readiness = createReadiness({
    backends,
    flags: () => flags.snapshot(),
    served: (id) => lifecycle.get(id)?.state !== 'removed',
    auxiliary: parts.readiness,
  });

  const app = createGateway({
    dispatch,
    logger,
    maxBodyBytes: config.maxBodyBytes,
    maxJsonDepth: config.maxJsonDepth,
    extend: (app) => {
      retirement.extend(app);
      mountOperatorPage(app, {
        admin: parts.admin,
        adminToken: config.adminToken,
        sources: {
          flags,
          parity,
          violations,
          traffic,
          manifest: retirement.options.manifest ?? committedManifest(),
          callers: retirement.callers,
          backends,
          parityBar: config.parity,
        },
      });
      parts.extend?.(app);
    },
    lifecycle: retirement.options,
    docsAssetBase: parts.docsAssetBase,
    clientAddress: parts.clientAddress,
    clientGone: parts.clientGone,
    trace: parts.trace,
    onRequestDone: (record) => {
      traffic.add(record);
      observer?.requestDone?.(record);
    },
    flagsVersion: async () => (await flags.snapshot()).version,
    ready: () => readiness.check(),
  });

  return {
    app,
    flags,
    rollouts,
    parity,
    violations,
    beginShutdown: () => readiness.beginShutdown(),
    retirement,
    traffic,
    backends,
    close: async () => {
      await retirement.callers.close();
      await rollouts?.close().catch(() => undefined);
      await flags.close();
      await Promise.all(Object.values(backends).map((b) => b.close()));
    },
  };
}

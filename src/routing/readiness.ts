import type { Backend, BackendName } from '../backends/backend.js';
import { OPERATION_IDS, type OperationId } from '../contract/operations.js';
import { backendsFor, type RoutingState } from './table.js';

type Backends = Partial<Record<BackendName, Backend>>;

/**
 * The backends the flags in force send traffic to: for each operation, the decision dispatch makes
 * (table.ts `decide`), with both sides of a rollout. Left out: the stateless parse (no flag routes
 * it; it goes to next-gen whenever one is configured, so counting it would make an optional
 * next-gen required again), the emergency revoke (it goes everywhere, and a backend down for it is
 * a reason to retry the revoke, not to take the gateway out of rotation), and the read
 * continuity's second try at the other backend.
 */
export function backendsInUse(
  state: RoutingState,
  backends: Backends,
  served: (id: OperationId) => boolean = () => true,
): Set<BackendName> {
  const used = new Set<BackendName>();
  for (const id of OPERATION_IDS) if (served(id)) for (const name of backendsFor(id, state)) used.add(name);
  for (const name of used) if (!backends[name]) used.delete(name);
  return used;
}

export interface ReadinessParts {
  backends: Backends;
  flags: () => Promise<RoutingState>;
  /** Operations the router serves (default all); a removed one sends traffic nowhere. */
  served?: (id: OperationId) => boolean;
  /** Checks of what the gateway also uses but can serve without for a while (the flag store's Redis). */
  auxiliary?: Record<string, () => Promise<string>>;
}

export interface Readiness {
  ok: boolean;
  body: {
    status: 'ready' | 'degraded' | 'not ready' | 'shutting down';
    checks: Record<string, string>;
    /** Down, and the flags route traffic to it: why the gateway is not ready. */
    not_ready?: string[];
    /** Down, but nothing is routed to it now (or the gateway serves without it): reported, not fatal. */
    degraded?: string[];
  };
}

async function outcome(check: () => Promise<string>): Promise<[string, boolean]> {
  try {
    return [await check(), true];
  } catch (err) {
    return [err instanceof Error ? err.message : String(err), false];
  }
}

/**
 * /readyz that matches routing: not ready (503) only when a backend the current flags route
 * traffic to is down, or while the gateway shuts down, so an orchestrator pulls an instance only
 * when taking it out helps. Everything else that is down is reported as degraded, with 200.
 */
export function createReadiness(parts: ReadinessParts) {
  let shuttingDown = false;
  return {
    /** From now on not ready, at once: load balancers stop sending new requests during the drain. */
    beginShutdown() {
      shuttingDown = true;
    },
    async check(): Promise<Readiness> {
      if (shuttingDown) return { ok: false, body: { status: 'shutting down', checks: {} } };
      const inUse = backendsInUse(await parts.flags(), parts.backends, parts.served);
      const named: [string, () => Promise<string>, boolean][] = [
        ...Object.entries(parts.auxiliary ?? {}).map(
          ([name, check]) => [name, check, false] as [string, () => Promise<string>, boolean],
        ),
        ...Object.values(parts.backends).map(
          (backend) =>
            [backend.name, () => backend.check(), inUse.has(backend.name)] as [string, () => Promise<string>, boolean],
        ),
      ];
      const results = await Promise.all(
        named.map(async ([name, check, needed]) => ({ name, needed, result: await outcome(check) })),
      );
      const checks = Object.fromEntries(results.map(({ name, result }) => [name, result[0]]));
      const down = results.filter(({ result }) => !result[1]);
      const notReady = down.filter((d) => d.needed).map((d) => d.name);
      const degraded = down.filter((d) => !d.needed).map((d) => d.name);
      if (notReady.length > 0) {
        return {
          ok: false,
          body: { status: 'not ready', checks, not_ready: notReady, ...(degraded.length > 0 ? { degraded } : {}) },
        };
      }
      if (degraded.length > 0) return { ok: true, body: { status: 'degraded', checks, degraded } };
      return { ok: true, body: { status: 'ready', checks } };
    },
  };
}

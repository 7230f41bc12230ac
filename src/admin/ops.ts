import type { z } from '@hono/zod-openapi';
import type { AdminAuthenticator } from '../auth/identity.js';
import type { Config } from '../config/env.js';
import { isOperationId, operationId } from '../contract/operations.js';
import type { OpsFlagsChange } from '../contract/schemas/ops.js';
import { type FlagName, type FlagValues, serializeFlag } from '../flags/flags.js';
import { checkChange, type GuardContext } from '../flags/guardrails.js';
import { FLAG_KEYS, FLAG_NAMES } from '../flags/keys.js';
import type { ChangeMeta, FlagState, RouteOverride, ShadowSetting } from '../flags/state.js';
import type { FlagStore } from '../flags/store.js';
import { jsonAnswer } from '../http/answer.js';
import type { OperationCall } from '../http/app.js';
import { ApiError } from '../http/errors.js';
import type { Logger } from '../observability/log.js';
import {
  OUTSIDE,
  ROLLOUT_FLAGS,
  ROLLOUT_TARGETS,
  type Rollout,
  type RolloutFlag,
  rolloutApplies,
} from '../rollout/rollout.js';
import type { ViolationCounter } from '../routing/response-check.js';
import type { ParityTracker } from '../routing/shadow.js';
import { JOB_READS } from '../routing/table.js';

type Change = z.infer<typeof OpsFlagsChange>;

export interface OpsAdminDeps {
  store: FlagStore;
  admin: AdminAuthenticator;
  config: Pick<Config, 'ttl' | 'parity'>;
  parity: ParityTracker;
  violations: ViolationCounter;
  /** Next-gen health and legacy backlog, looked up only when a change needs them. */
  guardContext: () => Promise<Omit<GuardContext, 'parity'>>;
  logger: Logger;
  now?: () => number;
}

function actorOf(request: Request): string {
  const who = request.headers.get('x-zpe-actor')?.trim();
  return who && /^[\w.@:-]{1,100}$/.test(who) ? `admin:${who}` : 'admin';
}

/** GET and PATCH /api/zpe/admin/ops: the gateway's own operations. */
export function createOpsAdmin(deps: OpsAdminDeps): (call: OperationCall) => Promise<Response> {
  const now = deps.now ?? Date.now;

  const render = async (state: FlagState) => {
    const [audit, parity, violations] = await Promise.all([
      deps.store.auditLog(20).catch(() => []),
      deps.parity.report().catch(() => ({})),
      deps.violations.report().catch(() => ({})),
    ]);
    return jsonAnswer({
      ...state.values,
      flags: state.records,
      version: state.version,
      route_overrides: Object.fromEntries(
        Object.entries(state.overrides).map(([op, o]) => [
          op,
          { backend: o.backend, actor: o.actor, reason: o.reason, expires_at: o.expires_at },
        ]),
      ),
      shadow: {
        sample_rate: state.shadow?.sample_rate ?? 0,
        expires_at: state.shadow?.expires_at ?? null,
        parity,
      },
      rollouts: Object.fromEntries(
        Object.entries(state.rollouts).map(([flag, r]) => [
          flag,
          {
            percent: r.percent,
            target: r.target,
            salt: r.salt,
            guard: r.guard,
            actor: r.actor,
            reason: r.reason,
            set_at: r.set_at,
            expires_at: r.expires_at,
            tripped: r.tripped,
          },
        ]),
      ),
      nextgen_contract_violations: violations,
      audit,
    });
  };

  const fresh = async () => {
    try {
      return await deps.store.fresh();
    } catch {
      throw new ApiError(503, `${deps.store.storageName} unavailable`);
    }
  };

  const update = async (request: Request, change: Change) => {
    const current = await fresh();
    const actor = actorOf(request);
    const forced = change.force === true;
    const reason = change.reason?.trim() || (forced ? '' : 'unspecified');
    if (forced && !reason) throw new ApiError(400, 'force needs a reason');
    const requestedTtl = change.ttl_seconds ?? deps.config.ttl.opsFlag;
    if (requestedTtl < 1) throw new ApiError(400, 'ttl_seconds must be at least 1');
    const ttlSeconds = Math.min(requestedTtl, deps.config.ttl.opsFlagMax);
    const setAt = new Date(now()).toISOString();
    const meta: ChangeMeta = {
      actor,
      reason,
      set_at: setAt,
      expires_at: new Date(now() + ttlSeconds * 1000).toISOString(),
      forced,
    };

    const next: FlagValues = { ...current.values };
    const sets: [string, string | null][] = [];
    const changes: Record<string, unknown> = {};
    for (const name of FLAG_NAMES) {
      const value = change[name];
      if (value === null || value === undefined) continue;
      (next as Record<FlagName, unknown>)[name] = value;
      const stored = serializeFlag(value);
      sets.push([FLAG_KEYS.value(name), stored], [FLAG_KEYS.meta(name), JSON.stringify({ ...meta, value: stored })]);
      changes[name] = value;
    }
    // Setting a rolled-out flag itself, for everybody, ends its rollout.
    for (const flag of ROLLOUT_FLAGS) {
      if (change[flag] !== null && change[flag] !== undefined && current.rollouts[flag]) {
        sets.push([FLAG_KEYS.rollout(flag), null]);
        changes[`rollout:${flag}`] = null;
      }
    }
    const forwardRollouts: RolloutFlag[] = [];
    for (const flag of ROLLOUT_FLAGS) {
      const spec = change.rollout?.[flag];
      if (spec === undefined) continue;
      if (change[flag] !== null && change[flag] !== undefined) {
        throw new ApiError(400, `set ${flag} or its rollout, not both`);
      }
      const existing = current.rollouts[flag];
      const percent = spec?.percent ?? 0;
      if (percent === 0) {
        // Stop: back to legacy for everybody (a rollback, always allowed).
        if (!existing) continue;
        sets.push([FLAG_KEYS.rollout(flag), null]);
        const value = serializeFlag(OUTSIDE[flag]);
        sets.push([FLAG_KEYS.value(flag), value], [FLAG_KEYS.meta(flag), JSON.stringify({ ...meta, value })]);
        (next as Record<FlagName, unknown>)[flag] = OUTSIDE[flag];
        changes[`rollout:${flag}`] = { percent: 0 };
        continue;
      }
      const target = ROLLOUT_TARGETS[flag];
      if (current.values[flag] === target && !rolloutApplies(flag, existing, current.values)) {
        throw new ApiError(409, `${flag} is already ${target} for everybody: there is nothing to roll out`);
      }
      const rollout: Rollout = {
        ...meta,
        percent,
        target,
        // Kept across raises (and a resume after a trip): the same users stay in.
        salt: existing?.salt ?? crypto.randomUUID().replaceAll('-', '').slice(0, 16),
        guard: spec?.guard ?? existing?.guard ?? {},
        tripped: null,
      };
      sets.push([FLAG_KEYS.rollout(flag), JSON.stringify(rollout)]);
      // The legacy sees the plan's value for the users outside: its own below 100 %, the target at 100 %.
      const legacyValue = percent >= 100 ? target : OUTSIDE[flag];
      const value = serializeFlag(legacyValue);
      sets.push([FLAG_KEYS.value(flag), value], [FLAG_KEYS.meta(flag), JSON.stringify({ ...meta, value })]);
      (next as Record<FlagName, unknown>)[flag] = legacyValue;
      changes[`rollout:${flag}`] = { percent, guard: rollout.guard };
      const before =
        existing && !existing.tripped && rolloutApplies(flag, existing, current.values) ? existing.percent : 0;
      if (percent > before) forwardRollouts.push(flag);
    }
    for (const [op, pin] of Object.entries(change.route_overrides ?? {})) {
      if (!isOperationId(op)) throw new ApiError(400, `route_overrides: unknown operation '${op}'`);
      if (op === 'getOpsFlags' || op === 'updateOpsFlags')
        throw new ApiError(400, `route_overrides: ${op} is served by the gateway itself`);
      const override: RouteOverride | null = pin
        ? { ...meta, backend: pin.backend, reason: pin.reason?.trim() || reason }
        : null;
      sets.push([FLAG_KEYS.override(op), override ? JSON.stringify(override) : null]);
      changes[`override:${op}`] = pin ? pin.backend : null;
    }
    if (change.shadow_sample_rate !== null && change.shadow_sample_rate !== undefined) {
      const rate = change.shadow_sample_rate;
      const shadow: ShadowSetting | null = rate > 0 ? { ...meta, sample_rate: rate } : null;
      sets.push([FLAG_KEYS.shadow, shadow ? JSON.stringify(shadow) : null]);
      changes.shadow_sample_rate = rate;
    }
    if (sets.length === 0) return current;

    const movesForward = FLAG_NAMES.some((name) => next[name] !== current.values[name]) || forwardRollouts.length > 0;
    if (movesForward || Object.values(change.route_overrides ?? {}).some((pin) => pin?.backend === 'nextgen')) {
      const context = await deps.guardContext();
      // The fleet's evidence (Redis on Node); unreadable evidence is no evidence: the gate refuses, force still can.
      const { compared, matched } = await deps.parity.total(JOB_READS).catch(() => ({ compared: 0, matched: 0 }));
      // A rollout moving forward is that flag's forward step, for the share of users it adds.
      const planned: FlagValues = { ...next };
      const before: FlagValues = { ...current.values };
      for (const flag of forwardRollouts) {
        (planned as Record<FlagName, unknown>)[flag] = ROLLOUT_TARGETS[flag];
        (before as Record<FlagName, unknown>)[flag] = OUTSIDE[flag];
      }
      const refusals = checkChange(before, planned, {
        ...context,
        parity: { compared, matched, ...deps.config.parity },
      });
      for (const [op, pin] of Object.entries(change.route_overrides ?? {})) {
        if (pin?.backend === 'nextgen' && !context.nextgen.configured) {
          refusals.push({ message: `cannot pin ${op} to next-gen: no next-gen backend is configured`, absolute: true });
        }
      }
      const absolute = refusals.filter((r) => r.absolute);
      if (absolute.length > 0 || (refusals.length > 0 && !forced)) {
        const shown = absolute.length > 0 ? absolute : refusals;
        throw new ApiError(409, shown[0]?.message ?? 'refused', {
          refusals: shown.map((r) => r.message),
          forceable: absolute.length === 0,
        });
      }
      if (refusals.length > 0) changes.overridden = refusals.map((r) => r.message);
    }

    const state = await deps.store
      .write({ sets, ttlSeconds, audit: { at: setAt, actor, reason, forced, changes } })
      .catch((err: unknown) => {
        if (err instanceof ApiError) throw err;
        throw new ApiError(503, `${deps.store.storageName} unavailable`);
      });
    deps.logger.info('flags changed', {
      actor,
      reason,
      forced,
      ttl_seconds: ttlSeconds,
      changes,
      flags_version: state.version,
    });
    return state;
  };

  return async (call) => {
    deps.admin.require(call.request);
    const id = operationId(call.operation);
    if (id === 'getOpsFlags') return render(await fresh());
    if (id === 'updateOpsFlags') return render(await update(call.request, call.body as Change));
    throw new ApiError(404, `the gateway does not serve ${id}`);
  };
}

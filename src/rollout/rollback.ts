import { serializeFlag } from '../flags/flags.js';
import { FLAG_KEYS } from '../flags/keys.js';
import type { FlagState } from '../flags/state.js';
import type { FlagStore } from '../flags/store.js';
import { OUTSIDE, type Rollout, type RolloutFlag, type Tripped } from './rollout.js';

export const AUTO_ROLLBACK_ACTOR = 'gateway:auto-rollback';

/**
 * Rolls a path back to legacy by itself: the rollout keeps its salt and guard at 0 % with what
 * tripped it (a new change is needed to resume), the legacy key holds the legacy value, and the
 * audit records it as an automatic rollback with its evidence. Answers the state after the write,
 * or undefined when the rollout is already gone or tripped (someone acted first).
 */
export async function autoRollback(
  store: FlagStore,
  flag: RolloutFlag,
  generation: string,
  trip: Omit<Tripped, 'at'>,
  now: number,
): Promise<FlagState | undefined> {
  const current = (await store.fresh()).rollouts[flag];
  if (!current || current.tripped || current.percent <= 0 || current.set_at !== generation) return undefined;
  const at = new Date(now).toISOString();
  const tripped: Tripped = { at, ...trip };
  const rollout: Rollout = { ...current, percent: 0, tripped };
  const reason = `automatic rollback: ${trip.guard}`;
  const value = serializeFlag(OUTSIDE[flag]);
  const remaining = Math.max(1, Math.ceil((Date.parse(current.expires_at) - now) / 1000));
  const meta = { actor: AUTO_ROLLBACK_ACTOR, reason, set_at: at, expires_at: current.expires_at, forced: false, value };
  return store.write({
    sets: [
      [FLAG_KEYS.rollout(flag), JSON.stringify(rollout)],
      [FLAG_KEYS.value(flag), value],
      [FLAG_KEYS.meta(flag), JSON.stringify(meta)],
    ],
    ttlSeconds: remaining,
    audit: {
      at,
      actor: AUTO_ROLLBACK_ACTOR,
      reason,
      forced: false,
      changes: { [`rollout:${flag}`]: { percent: 0, automatic: true, guard: trip.guard, evidence: trip.evidence } },
    },
  });
}

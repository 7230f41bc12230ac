import { ROLLOUT_FLAGS, ROLLOUT_TARGETS, type RolloutFlag } from '../contract/schemas/ops.js';
import type { FlagValues } from '../flags/flags.js';
import { inRollout } from './bucket.js';

export { ROLLOUT_FLAGS, ROLLOUT_TARGETS, type RolloutFlag };

export interface RolloutGuard {
  max_error_ratio?: number | null;
  window_seconds?: number | null;
  min_requests?: number | null;
  max_contract_violations?: number | null;
  min_parity?: number | null;
}

export const GUARD_DEFAULTS = { window_seconds: 300, min_requests: 50 } as const;

export interface Tripped {
  at: string;
  guard: string;
  evidence: Record<string, unknown>;
}

/** A flagged path moved for a share of users; stored as JSON beside the legacy key, with the change's lifetime. */
export interface Rollout {
  percent: number;
  target: string;
  salt: string;
  guard: RolloutGuard;
  actor: string;
  reason: string;
  set_at: string;
  expires_at: string;
  forced: boolean;
  /** A guard rolled it back: percent is 0 and stays so until a new change. */
  tripped: Tripped | null;
}

export type Rollouts = Partial<Record<RolloutFlag, Rollout>>;

export function rolloutKey(flag: RolloutFlag): string {
  return `zpe:ops:rollout:${flag}`;
}

/** The flag's value for users outside the rollout: the legacy's, which the legacy key keeps below 100 %. */
export const OUTSIDE: { [K in RolloutFlag]: FlagValues[K] } = {
  submission_route: 'redis-worker',
  result_read_source: 'redis',
};

export function parseRollout(text: string | null | undefined, flag: RolloutFlag, now: number): Rollout | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as Rollout;
    if (typeof value !== 'object' || value === null) return undefined;
    if (typeof value.percent !== 'number' || typeof value.salt !== 'string') return undefined;
    if (value.target !== ROLLOUT_TARGETS[flag] || !(Date.parse(value.expires_at) > now)) return undefined;
    return { ...value, guard: value.guard ?? {}, tripped: value.tripped ?? null, forced: value.forced === true };
  } catch {
    return undefined;
  }
}

function share(percent: number): string {
  return `${Number(percent.toFixed(2))}%`;
}

/**
 * Where a rollout sends one user, and the route reason that says which bucket they fell in:
 * `rollout:submission_route=next-gen@10%` inside, `rollout:submission_route=redis-worker@90%` outside
 * (a request without a known user is outside, below 100 %).
 */
export function rolloutChoice(
  flag: RolloutFlag,
  rollout: Rollout,
  userId: string | undefined,
): { value: string; inside: boolean; reason: string } {
  // At 100 % everybody is in, a request whose user is not known too: the legacy key says the target.
  const inside =
    rollout.percent >= 100 ||
    (userId !== undefined && rollout.percent > 0 && inRollout(rollout.salt, rollout.percent, userId));
  const value = inside ? rollout.target : OUTSIDE[flag];
  const bucket = inside ? share(rollout.percent) : share(100 - rollout.percent);
  return { value, inside, reason: `rollout:${flag}=${value}@${bucket}` };
}

/**
 * Whether the rollout decides routing: it has users, and the legacy key still holds what the rollout
 * wrote there (the outside value below 100 %, the target at 100 %). A value someone else wrote since,
 * the legacy control plane's admin or redis-cli, is an explicit change for everybody and wins.
 */
export function rolloutApplies(
  flag: RolloutFlag,
  rollout: Rollout | undefined,
  values: FlagValues,
): rollout is Rollout {
  if (!rollout || rollout.percent <= 0) return false;
  return values[flag] === (rollout.percent >= 100 ? rollout.target : OUTSIDE[flag]);
}

import type { BackendName } from '../backends/backend.js';
import type { OperationId } from '../contract/operations.js';
import { parseRollout, ROLLOUT_FLAGS, type RolloutFlag, type Rollouts } from '../rollout/rollout.js';
import { type FlagName, type FlagValues, parseFlag } from './flags.js';

/** Who changed a flag, why and until when; stored beside the legacy value key. */
export interface ChangeMeta {
  actor: string;
  reason: string;
  set_at: string;
  expires_at: string;
  forced: boolean;
  /** The value written with this metadata: another writer's later value is not attributed to it. */
  value?: string;
}

export interface RouteOverride extends ChangeMeta {
  backend: BackendName;
}

/** What the storage (Redis or KV) holds, before parsing. */
export interface RawFlagState {
  values: Record<FlagName, string | null>;
  /** When each value key expires, epoch ms (null: no expiry or no key). */
  expiresAtMs: Record<FlagName, number | null>;
  meta: Record<FlagName, string | null>;
  overrides: Partial<Record<OperationId, string | null>>;
  shadow: string | null;
  rollouts: Partial<Record<RolloutFlag, string | null>>;
}

export interface FlagRecord {
  value: FlagValues[FlagName];
  source: 'default' | 'set';
  expires_at: string | null;
  actor: string | null;
  reason: string | null;
}

export interface ShadowSetting extends ChangeMeta {
  sample_rate: number;
}

/** The flags in force: what routing reads on every request. */
export interface FlagState {
  values: FlagValues;
  records: Record<FlagName, FlagRecord>;
  overrides: Partial<Record<OperationId, RouteOverride>>;
  shadow: ShadowSetting | null;
  /** Rollouts not expired, tripped ones included (they route nobody: percent 0). */
  rollouts: Rollouts;
  version: string;
}

function parseJson<T>(raw: string | null | undefined): T | null {
  if (!raw) return null;
  try {
    const value = JSON.parse(raw) as unknown;
    return value !== null && typeof value === 'object' ? (value as T) : null;
  } catch {
    return null;
  }
}

/** FNV-1a: a short, stable fingerprint that is the same on every instance for the same flags. */
function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/** How far a key's lifetime may lie from the expiry its metadata recorded and still be the same write. */
const SAME_WRITE_MS = 2_000;

/** The metadata, when it describes the value now stored: same value, and the key's lifetime from the same write. */
function metaOf(meta: ChangeMeta | null, stored: string, keyExpiry: number | null): ChangeMeta | null {
  if (!meta || keyExpiry === null) return null;
  if (meta.value !== undefined && meta.value !== stored) return null;
  return Math.abs(Date.parse(meta.expires_at) - keyExpiry) <= SAME_WRITE_MS ? meta : null;
}

/** Parses stored values with the legacy rules; a missing key, or one whose expiry has passed, is the default. */
export function parseFlagState(raw: RawFlagState, defaults: FlagValues, now: number): FlagState {
  const values = { ...defaults };
  const records = {} as Record<FlagName, FlagRecord>;
  for (const name of Object.keys(defaults) as FlagName[]) {
    // The key's own lifetime decides, whoever set it (a legacy or redis-cli write may replace ours).
    const keyExpiry = raw.expiresAtMs[name];
    const expired = keyExpiry !== null && keyExpiry <= now;
    const stored = expired ? null : raw.values[name];
    const value = parseFlag(name, stored, defaults[name]);
    (values as Record<FlagName, unknown>)[name] = value;
    const set = stored !== null && stored !== undefined;
    const meta = set ? metaOf(parseJson<ChangeMeta>(raw.meta[name]), stored, keyExpiry) : null;
    records[name] = {
      value,
      source: set ? 'set' : 'default',
      expires_at: set && keyExpiry !== null ? new Date(keyExpiry).toISOString() : null,
      actor: meta?.actor ?? null,
      reason: meta?.reason ?? null,
    };
  }
  const overrides: Partial<Record<OperationId, RouteOverride>> = {};
  for (const [operation, text] of Object.entries(raw.overrides) as [OperationId, string | null][]) {
    const override = parseJson<RouteOverride>(text);
    if (
      override &&
      Date.parse(override.expires_at) > now &&
      (override.backend === 'legacy' || override.backend === 'nextgen')
    ) {
      overrides[operation] = override;
    }
  }
  const shadow = parseJson<ShadowSetting>(raw.shadow);
  const activeShadow = shadow && Date.parse(shadow.expires_at) > now && shadow.sample_rate > 0 ? shadow : null;
  const rollouts: Rollouts = {};
  for (const flag of ROLLOUT_FLAGS) {
    const rollout = parseRollout(raw.rollouts[flag], flag, now);
    if (rollout) rollouts[flag] = rollout;
  }
  const effective = {
    values,
    overrides: Object.fromEntries(Object.entries(overrides).map(([op, o]) => [op, o.backend])),
    shadow: activeShadow?.sample_rate ?? 0,
    rollouts: Object.fromEntries(Object.entries(rollouts).map(([flag, r]) => [flag, [r.percent, r.salt]])),
  };
  return {
    values,
    records,
    overrides,
    shadow: activeShadow,
    rollouts,
    version: fingerprint(JSON.stringify(effective)),
  };
}

export function emptyRawState(): RawFlagState {
  const nothing = {
    submission_enabled: null,
    dequeue_enabled: null,
    submission_route: null,
    result_read_source: null,
    legacy_worker_endpoints_enabled: null,
  };
  return {
    values: { ...nothing },
    expiresAtMs: { ...nothing },
    meta: { ...nothing },
    overrides: {},
    shadow: null,
    rollouts: {},
  };
}

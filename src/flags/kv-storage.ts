import { OPERATION_IDS } from '../contract/operations.js';
import { ROLLOUT_FLAGS } from '../rollout/rollout.js';
import { AUDIT_RETENTION, FLAG_KEYS, FLAG_NAMES } from './keys.js';
import { emptyRawState, type RawFlagState } from './state.js';
import type { AuditEntry, FlagStorage } from './storage.js';

/** The part of a Workers KV namespace binding the flags use (structural, so no Workers types are needed here). */
export interface KvNamespace {
  getWithMetadata<Metadata>(
    keys: string[],
    options: { type: 'text'; cacheTtl?: number },
  ): Promise<Map<string, { value: string | null; metadata: Metadata | null }>>;
  get(keys: string[], options: { type: 'text'; cacheTtl?: number }): Promise<Map<string, string | null>>;
  put(key: string, value: string, options?: { expirationTtl?: number; metadata?: unknown }): Promise<void>;
  delete(key: string): Promise<void>;
  list(options: {
    prefix?: string;
    limit?: number;
    cursor?: string;
  }): Promise<{ keys: { name: string }[]; list_complete: boolean }>;
}

/**
 * KV refuses an expirationTtl below 60 s. A shorter flag lifetime is still exact: every value keeps
 * its own expiry (in the key's metadata and in the `meta`/override/shadow JSON), and the store treats
 * a value past it as its default; KV's TTL only removes the key a little later.
 */
export const KV_MIN_TTL_SECONDS = 60;

/**
 * How long a KV location may serve a cached read (KV's minimum). A change made elsewhere is seen
 * within this, plus the isolate's own refresh; in one location, at once.
 */
export const KV_CACHE_TTL_SECONDS = 30;

/** Bulk reads take at most this many keys. */
const KV_BULK_KEYS = 100;

const AUDIT_PREFIX = `${FLAG_KEYS.audit}:`;

interface ValueMetadata {
  expires_at_ms?: number;
}

/** The keys one load reads, in one bulk call: values, their metadata, overrides and the shadow setting. */
const STATE_KEYS = [
  ...FLAG_NAMES.flatMap((name) => [FLAG_KEYS.value(name), FLAG_KEYS.meta(name)]),
  ...OPERATION_IDS.map(FLAG_KEYS.override),
  FLAG_KEYS.shadow,
  ...ROLLOUT_FLAGS.map(FLAG_KEYS.rollout),
];

/**
 * Audit keys sort newest first, since KV lists in ascending key order: the time counted down from the
 * largest safe integer, then the time itself for people reading the namespace, then a random suffix.
 */
function auditKey(at: number): string {
  const countdown = String(Number.MAX_SAFE_INTEGER - at).padStart(16, '0');
  return `${AUDIT_PREFIX}${countdown}:${new Date(at).toISOString()}:${crypto.randomUUID().slice(0, 8)}`;
}

function parseAudit(text: string | null): AuditEntry | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as Partial<AuditEntry>;
    return {
      at: String(value.at ?? ''),
      actor: String(value.actor ?? ''),
      reason: String(value.reason ?? ''),
      forced: value.forced === true,
      changes: value.changes !== null && typeof value.changes === 'object' ? value.changes : {},
    };
  } catch {
    // an entry written by someone else; leave it out
    return undefined;
  }
}

/**
 * Flags in a Workers KV namespace, under the same key names and value formats as in Redis. KV has no
 * transactions, no push and no capped streams, so: a change's keys are written side by side (a
 * reader may briefly see part of a change), `subscribe` never fires (the store's short refresh
 * finds changes), and the audit log is one key per entry that expires after the retention period.
 */
export function kvFlagStorage(kv: KvNamespace, now: () => number = Date.now): FlagStorage {
  return {
    name: 'kv',
    async load() {
      const entries = await kv.getWithMetadata<ValueMetadata>(STATE_KEYS, {
        type: 'text',
        cacheTtl: KV_CACHE_TTL_SECONDS,
      });
      const value = (key: string) => entries.get(key)?.value ?? null;
      const raw: RawFlagState = emptyRawState();
      for (const name of FLAG_NAMES) {
        const key = FLAG_KEYS.value(name);
        raw.values[name] = value(key);
        const expiresAt = entries.get(key)?.metadata?.expires_at_ms;
        raw.expiresAtMs[name] = raw.values[name] !== null && typeof expiresAt === 'number' ? expiresAt : null;
        raw.meta[name] = value(FLAG_KEYS.meta(name));
      }
      for (const operation of OPERATION_IDS) {
        const override = value(FLAG_KEYS.override(operation));
        if (override) raw.overrides[operation] = override;
      }
      raw.shadow = value(FLAG_KEYS.shadow);
      for (const flag of ROLLOUT_FLAGS) raw.rollouts[flag] = value(FLAG_KEYS.rollout(flag));
      return raw;
    },

    async write(change) {
      const expirationTtl = Math.max(change.ttlSeconds, KV_MIN_TTL_SECONDS);
      const metadata: ValueMetadata = { expires_at_ms: now() + change.ttlSeconds * 1000 };
      const auditAt = Date.parse(change.audit.at);
      await Promise.all([
        ...change.sets.map(([key, value]) =>
          value === null ? kv.delete(key) : kv.put(key, value, { expirationTtl, metadata }),
        ),
        kv.put(auditKey(Number.isNaN(auditAt) ? now() : auditAt), JSON.stringify(change.audit), {
          expirationTtl: AUDIT_RETENTION.seconds,
        }),
      ]);
    },

    async subscribe() {
      return async () => {};
    },

    async auditLog(limit) {
      const count = Math.min(Math.max(limit, 0), KV_BULK_KEYS, AUDIT_RETENTION.entries);
      if (count === 0) return [];
      const listed = await kv.list({ prefix: AUDIT_PREFIX, limit: count });
      const names = listed.keys.map((key) => key.name);
      if (names.length === 0) return [];
      const values = await kv.get(names, { type: 'text' });
      return names.map((name) => parseAudit(values.get(name) ?? null)).filter((e): e is AuditEntry => e !== undefined);
    },
  };
}

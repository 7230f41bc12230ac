import type { Redis } from 'ioredis';
import { OPERATION_IDS } from '../contract/operations.js';
import { fieldsOf } from '../redis/replies.js';
import { defineScripts } from '../redis/scripts.js';
import { ROLLOUT_FLAGS } from '../rollout/rollout.js';
import { AUDIT_RETENTION, FLAG_KEYS, FLAG_NAMES } from './keys.js';
import { emptyRawState, type RawFlagState } from './state.js';
import type { AuditEntry, FlagStorage, FlagWrite } from './storage.js';

/** Flags in Redis, shared with the legacy control plane. Node only. */
export function redisFlagStorage(redis: Redis): FlagStorage {
  const scripts = defineScripts(redis, new URL('./scripts/', import.meta.url), ['change'] as const);

  return {
    name: 'redis',
    async load() {
      // One round trip: values, their remaining lifetimes, metadata, overrides, shadow setting and rollouts.
      // Lifetimes count from when the read was sent, so a value never outlives its key here.
      const sentAt = Date.now();
      const pipeline = redis.pipeline();
      for (const name of FLAG_NAMES)
        pipeline.get(FLAG_KEYS.value(name)).pttl(FLAG_KEYS.value(name)).get(FLAG_KEYS.meta(name));
      pipeline.mget(...OPERATION_IDS.map(FLAG_KEYS.override));
      pipeline.get(FLAG_KEYS.shadow);
      pipeline.mget(...ROLLOUT_FLAGS.map(FLAG_KEYS.rollout));
      const replies = await pipeline.exec();
      if (!replies) throw new Error('redis pipeline aborted');
      for (const [err] of replies) if (err) throw err;
      const at = (i: number) => replies[i]?.[1];
      const raw: RawFlagState = emptyRawState();
      FLAG_NAMES.forEach((name, i) => {
        raw.values[name] = (at(3 * i) as string | null) ?? null;
        const ttl = at(3 * i + 1) as number;
        raw.expiresAtMs[name] = ttl >= 0 ? sentAt + ttl : null;
        raw.meta[name] = (at(3 * i + 2) as string | null) ?? null;
      });
      const overrides = at(3 * FLAG_NAMES.length) as (string | null)[];
      OPERATION_IDS.forEach((op, i) => {
        if (overrides[i]) raw.overrides[op] = overrides[i];
      });
      raw.shadow = (at(3 * FLAG_NAMES.length + 1) as string | null) ?? null;
      const rollouts = at(3 * FLAG_NAMES.length + 2) as (string | null)[];
      ROLLOUT_FLAGS.forEach((flag, i) => {
        raw.rollouts[flag] = rollouts[i] ?? null;
      });
      return raw;
    },

    async write(change: FlagWrite) {
      const keys = [FLAG_KEYS.audit, ...change.sets.map(([key]) => key)];
      const entry = {
        ...change.audit,
        forced: change.audit.forced ? '1' : '0',
        changes: JSON.stringify(change.audit.changes),
      };
      await scripts.change(
        keys.length,
        ...keys,
        change.ttlSeconds,
        AUDIT_RETENTION.entries,
        AUDIT_RETENTION.seconds,
        FLAG_KEYS.changed,
        JSON.stringify(entry),
        ...change.sets.map(([, value]) => value ?? ''),
      );
    },

    async subscribe(onChange) {
      const subscriber = redis.duplicate({ enableOfflineQueue: true });
      subscriber.on('message', onChange);
      // A reconnect may have missed messages: treat it as a change.
      subscriber.on('ready', onChange);
      subscriber.on('error', () => {});
      await subscriber.subscribe(FLAG_KEYS.changed);
      return async () => {
        subscriber.disconnect();
      };
    },

    async auditLog(limit) {
      const rows = (await redis.xrevrange(FLAG_KEYS.audit, '+', '-', 'COUNT', limit)) as [string, string[]][];
      return rows.map(([, fields]) => {
        const f = fieldsOf(fields);
        let changes: Record<string, unknown> = {};
        try {
          changes = JSON.parse(f.changes ?? '{}') as Record<string, unknown>;
        } catch {
          // an entry written by someone else; show it without its changes
        }
        const entry: AuditEntry = {
          at: f.at ?? '',
          actor: f.actor ?? '',
          reason: f.reason ?? '',
          forced: f.forced === '1',
          changes,
        };
        return entry;
      });
    },
  };
}

import type { RawFlagState } from './state.js';

export interface AuditEntry {
  at: string;
  actor: string;
  reason: string;
  forced: boolean;
  /** What changed: flag or override name -> new value (null: cleared). */
  changes: Record<string, unknown>;
}

/** One atomic change: keys to set (null deletes), all with one lifetime, and its audit entry. */
export interface FlagWrite {
  sets: [key: string, value: string | null][];
  ttlSeconds: number;
  audit: AuditEntry;
}

/** Where flags are kept: Redis on Node, KV on Workers. The store above it is the same for both. */
export interface FlagStorage {
  /** What the storage is, for operators' messages: `redis`, `kv`. */
  readonly name: string;
  load(): Promise<RawFlagState>;
  write(change: FlagWrite): Promise<void>;
  /** Calls `onChange` whenever any instance writes; resolves with an unsubscribe. */
  subscribe(onChange: () => void): Promise<() => Promise<void>>;
  auditLog(limit: number): Promise<AuditEntry[]>;
}

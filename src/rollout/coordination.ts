import type { RolloutFlag } from './rollout.js';

/** What next-gen answered the users of one rollout within a period. */
export interface Evidence {
  requests: number;
  errors: number;
  violations: number;
}

/** One period's counts of one rollout (its generation: the change that set it), from one instance. */
export interface EvidenceBatch extends Evidence {
  flag: RolloutFlag;
  generation: string;
  /** Start of the period, epoch ms, on the bucket grid. */
  bucket: number;
}

/**
 * Where instances pool a rollout's evidence and elect the one that acts on it: Redis on Node.
 * Workers have none: there, no guard runs (an isolate keeps no timer and cannot be elected).
 */
export interface RolloutCoordination {
  /** Adds the batches to the shared counts. */
  add(batches: EvidenceBatch[]): Promise<void>;
  /** The counts of `generation` over the buckets starting at or after `since` (epoch ms). */
  read(flag: RolloutFlag, generation: string, since: number, until: number): Promise<Evidence>;
  /** Takes or keeps the lease; true while this instance holds it. */
  lead(holder: string, ttlMs: number): Promise<boolean>;
}

/** Evidence is pooled in buckets of this length. */
export const BUCKET_MS = 5_000;

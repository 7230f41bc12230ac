import type { OperationId } from '../contract/operations.js';
import type { FlagStore } from '../flags/store.js';
import type { Logger } from '../observability/log.js';
import type { ParityTracker } from '../routing/shadow.js';
import { JOB_READS, ROLLOUT_PATHS } from '../routing/table.js';
import { BUCKET_MS, type EvidenceBatch, type RolloutCoordination } from './coordination.js';
import { guardWindow, tripOf } from './guard.js';
import { autoRollback } from './rollback.js';
import { ROLLOUT_FLAGS, type RolloutFlag } from './rollout.js';

export interface RolloutWatchOptions {
  store: FlagStore;
  coordination: RolloutCoordination;
  parity: ParityTracker;
  parityMinSamples: number;
  logger: Logger;
  /** How often counts are pooled and, on the elected instance, guards evaluated. */
  tickMs?: number;
  now?: () => number;
}

/**
 * The rollouts' guards. Every instance counts what next-gen answered the users its rollouts sent
 * there and pools the counts in Redis once per tick (never per request); the one instance holding
 * the lease reads the pooled evidence and rolls a path back when a guard trips.
 */
export class RolloutWatch {
  private readonly now: () => number;
  private readonly tickMs: number;
  private readonly holder = crypto.randomUUID();
  private pending = new Map<string, EvidenceBatch>();
  private readonly generations = new Map<RolloutFlag, string>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: RolloutWatchOptions) {
    this.now = options.now ?? Date.now;
    this.tickMs = options.tickMs ?? 1_000;
  }

  /** One next-gen answer to a user inside the rollout `generation` of `flag`. */
  record(flag: RolloutFlag, generation: string, status: number): void {
    this.generations.set(flag, generation);
    const batch = this.batch(flag, generation);
    batch.requests += 1;
    if (status >= 500) batch.errors += 1;
  }

  /** A next-gen answer of this instance that broke the contract: counted against the rollout of its path. */
  violation(operation: OperationId): void {
    const flag = ROLLOUT_PATHS[operation];
    const generation = flag && this.generations.get(flag);
    if (flag && generation) this.batch(flag, generation).violations += 1;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (!this.running) this.running = this.tick().finally(() => (this.running = undefined));
    }, this.tickMs);
    (this.timer as { unref?: () => void }).unref?.();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    await this.flush();
  }

  /** Pools this instance's counts, then, when elected, evaluates every guarded rollout. */
  async tick(): Promise<void> {
    try {
      await this.flush();
      const state = await this.options.store.snapshot();
      const watched = ROLLOUT_FLAGS.filter((flag) => {
        const rollout = state.rollouts[flag];
        return rollout && !rollout.tripped && rollout.percent > 0;
      });
      // No rollout to watch: no election either, so an idle gateway sends Redis nothing.
      if (watched.length === 0) return;
      if (!(await this.options.coordination.lead(this.holder, this.tickMs * 3))) return;
      for (const flag of watched) {
        const rollout = state.rollouts[flag];
        if (!rollout) continue;
        const now = this.now();
        const { since } = guardWindow(rollout, now);
        const evidence = await this.options.coordination.read(flag, rollout.set_at, since, now);
        // The fleet's parity (the evidence store), as the read-cutover gate judges it.
        const reads = flag === 'result_read_source' ? await this.options.parity.total(JOB_READS) : undefined;
        const parity = reads && { ...reads, minSamples: this.options.parityMinSamples };
        const trip = tripOf(rollout, evidence, parity, now);
        if (!trip) continue;
        const after = await autoRollback(this.options.store, flag, rollout.set_at, trip, now);
        if (after)
          this.options.logger.warn('rollout rolled back automatically', {
            flag,
            guard: trip.guard,
            evidence: trip.evidence,
            flags_version: after.version,
          });
      }
    } catch (err) {
      this.options.logger.warn('rollout guards: evaluation failed, retried next tick', {
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }

  private batch(flag: RolloutFlag, generation: string): EvidenceBatch {
    const bucket = Math.floor(this.now() / BUCKET_MS) * BUCKET_MS;
    const key = `${flag}|${generation}|${bucket}`;
    let batch = this.pending.get(key);
    if (!batch) {
      batch = { flag, generation, bucket, requests: 0, errors: 0, violations: 0 };
      this.pending.set(key, batch);
    }
    return batch;
  }

  private async flush(): Promise<void> {
    const batches = [...this.pending.values()];
    if (batches.length === 0) return;
    this.pending = new Map();
    try {
      await this.options.coordination.add(batches);
    } catch (err) {
      // Redis down: keep the counts for the next tick rather than lose the evidence.
      for (const b of batches) {
        const into = this.pending.get(`${b.flag}|${b.generation}|${b.bucket}`);
        if (into) {
          into.requests += b.requests;
          into.errors += b.errors;
          into.violations += b.violations;
        } else this.pending.set(`${b.flag}|${b.generation}|${b.bucket}`, b);
      }
      throw err;
    }
  }
}

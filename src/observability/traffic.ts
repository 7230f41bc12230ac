import type { RequestRecord } from './request-record.js';

export interface TrafficCounts {
  requests: number;
  /** 4xx: refused requests (validation, auth, not found). */
  clientErrors: number;
  /** 5xx: the gateway or a backend failed. */
  serverErrors: number;
}

/** Per operation, per backend: what this instance served over the window. */
export type TrafficReport = Record<string, Record<string, TrafficCounts>>;

const MINUTE_MS = 60_000;

/**
 * This instance's recent traffic per operation and backend, in one-minute buckets, for the operator page
 * (Prometheus has the long view). One map update per request.
 */
export class TrafficWindow {
  /** Per minute, per operation, per backend. */
  private readonly minutes = new Map<number, Map<string, Map<string, TrafficCounts>>>();
  /** The minute requests are counted in now, held so a request makes no lookup of it. */
  private current: { minute: number; bucket: Map<string, Map<string, TrafficCounts>> } | undefined;

  constructor(
    readonly windowMinutes = 15,
    private readonly now: () => number = Date.now,
  ) {}

  add(record: RequestRecord): void {
    if (!record.operation) return;
    const minute = Math.floor(this.now() / MINUTE_MS);
    if (this.current?.minute !== minute) this.current = { minute, bucket: this.bucketOf(minute) };
    const bucket = this.current.bucket;
    let byBackend = bucket.get(record.operation);
    if (!byBackend) {
      byBackend = new Map();
      bucket.set(record.operation, byBackend);
    }
    const backend = record.backend ?? 'gateway';
    let counts = byBackend.get(backend);
    if (!counts) {
      counts = { requests: 0, clientErrors: 0, serverErrors: 0 };
      byBackend.set(backend, counts);
    }
    counts.requests++;
    if (record.status >= 500) counts.serverErrors++;
    else if (record.status >= 400) counts.clientErrors++;
  }

  private bucketOf(minute: number): Map<string, Map<string, TrafficCounts>> {
    let bucket = this.minutes.get(minute);
    if (!bucket) {
      bucket = new Map();
      this.minutes.set(minute, bucket);
      for (const old of this.minutes.keys()) if (old <= minute - this.windowMinutes) this.minutes.delete(old);
    }
    return bucket;
  }

  report(): TrafficReport {
    const since = Math.floor(this.now() / MINUTE_MS) - this.windowMinutes;
    const out: TrafficReport = {};
    for (const [minute, bucket] of this.minutes) {
      if (minute <= since) continue;
      for (const [operation, backends] of bucket) {
        const byBackend = out[operation] ?? {};
        out[operation] = byBackend;
        for (const [backend, counts] of backends) {
          const total = byBackend[backend] ?? { requests: 0, clientErrors: 0, serverErrors: 0 };
          byBackend[backend] = total;
          total.requests += counts.requests;
          total.clientErrors += counts.clientErrors;
          total.serverErrors += counts.serverErrors;
        }
      }
    }
    return out;
  }
}

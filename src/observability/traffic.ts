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
  private readonly minutes = new Map<number, Map<string, TrafficCounts>>();

  constructor(
    readonly windowMinutes = 15,
    private readonly now: () => number = Date.now,
  ) {}

  add(record: RequestRecord): void {
    if (!record.operation) return;
    const minute = Math.floor(this.now() / MINUTE_MS);
    let bucket = this.minutes.get(minute);
    if (!bucket) {
      bucket = new Map();
      this.minutes.set(minute, bucket);
      for (const old of this.minutes.keys()) if (old <= minute - this.windowMinutes) this.minutes.delete(old);
    }
    const key = `${record.operation} ${record.backend ?? 'gateway'}`;
    let counts = bucket.get(key);
    if (!counts) {
      counts = { requests: 0, clientErrors: 0, serverErrors: 0 };
      bucket.set(key, counts);
    }
    counts.requests++;
    if (record.status >= 500) counts.serverErrors++;
    else if (record.status >= 400) counts.clientErrors++;
  }

  report(): TrafficReport {
    const since = Math.floor(this.now() / MINUTE_MS) - this.windowMinutes;
    const out: TrafficReport = {};
    for (const [minute, bucket] of this.minutes) {
      if (minute <= since) continue;
      for (const [key, counts] of bucket) {
        const [operation = '', backend = ''] = key.split(' ');
        const byBackend = out[operation] ?? {};
        out[operation] = byBackend;
        const total = byBackend[backend] ?? { requests: 0, clientErrors: 0, serverErrors: 0 };
        byBackend[backend] = total;
        total.requests += counts.requests;
        total.clientErrors += counts.clientErrors;
        total.serverErrors += counts.serverErrors;
      }
    }
    return out;
  }
}

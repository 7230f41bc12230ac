import type { BackendName } from '../backends/backend.js';
import type { OperationId } from '../contract/operations.js';

export interface FieldDiff {
  path: string;
  served: unknown;
  shadow: unknown;
}

interface Mismatch {
  at: string;
  request_id: string;
  served_by: BackendName;
  diff: FieldDiff[];
}

export interface ParityCounts {
  compared: number;
  matched: number;
  failed: number;
  last_mismatches: Mismatch[];
}

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** What may legitimately differ between two backends' answers: timestamps' format and key order. */
export function normalize(value: unknown): unknown {
  if (typeof value === 'string' && ISO_TIMESTAMP.test(value)) {
    const ms = Date.parse(value.includes('T') ? value : value.replace(' ', 'T'));
    return Number.isNaN(ms) ? value : new Date(ms).toISOString();
  }
  if (Array.isArray(value)) return value.map(normalize);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = normalize((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/** Field-level differences between two normalised values, as JSON-pointer-like paths. */
export function diffValues(served: unknown, shadow: unknown, path = ''): FieldDiff[] {
  if (served === shadow) return [];
  const bothObjects =
    served !== null &&
    shadow !== null &&
    typeof served === 'object' &&
    typeof shadow === 'object' &&
    Array.isArray(served) === Array.isArray(shadow);
  if (!bothObjects) return [{ path: path || '/', served, shadow }];
  const a = served as Record<string, unknown>;
  const b = shadow as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.flatMap((key) => diffValues(a[key], b[key], `${path}/${key}`));
}

/** Shadow-read parity per read operation, in this instance. */
export class ParityTracker {
  private readonly counts = new Map<OperationId, ParityCounts>();

  constructor(private readonly keepMismatches = 10) {}

  private entry(operation: OperationId): ParityCounts {
    let counts = this.counts.get(operation);
    if (!counts) {
      counts = { compared: 0, matched: 0, failed: 0, last_mismatches: [] };
      this.counts.set(operation, counts);
    }
    return counts;
  }

  record(operation: OperationId, outcome: { diff: FieldDiff[]; requestId: string; servedBy: BackendName }): void {
    const counts = this.entry(operation);
    counts.compared++;
    if (outcome.diff.length === 0) {
      counts.matched++;
      return;
    }
    counts.last_mismatches.unshift({
      at: new Date().toISOString(),
      request_id: outcome.requestId,
      served_by: outcome.servedBy,
      diff: outcome.diff.slice(0, 50),
    });
    counts.last_mismatches.length = Math.min(counts.last_mismatches.length, this.keepMismatches);
  }

  recordFailure(operation: OperationId): void {
    this.entry(operation).failed++;
  }

  report(): Partial<Record<OperationId, ParityCounts>> {
    return Object.fromEntries(
      [...this.counts].map(([op, c]) => [op, { ...c, last_mismatches: [...c.last_mismatches] }]),
    );
  }

  /** Compared and matched over the given operations. */
  total(operations: readonly OperationId[]): { compared: number; matched: number } {
    let compared = 0;
    let matched = 0;
    for (const op of operations) {
      const c = this.counts.get(op);
      compared += c?.compared ?? 0;
      matched += c?.matched ?? 0;
    }
    return { compared, matched };
  }
}

/** Reads a response body for comparison: JSON parsed, anything else as text, with the status. */
export async function comparable(response: Response): Promise<unknown> {
  const type = response.headers.get('content-type') ?? '';
  const text = await response.text();
  let body: unknown = text;
  if (type.includes('json')) {
    try {
      body = JSON.parse(text);
    } catch {
      // compared as text
    }
  }
  return { status: response.status, body: normalize(body) };
}

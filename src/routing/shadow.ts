import type { BackendName } from '../backends/backend.js';
import type { OperationId } from '../contract/operations.js';
import type { Evidence, EvidenceStore, FieldDiff, Mismatch, ShadowOutcome } from '../observability/evidence.js';
import type { Logger } from '../observability/log.js';

export type { FieldDiff } from '../observability/evidence.js';

/** Parity of one read operation, fleet-wide on Node: what `GET /admin/ops` shows and the gate judges. */
export interface ParityCounts {
  /** Comparisons: both backends answered about the same job (matched + mismatched). */
  compared: number;
  matched: number;
  mismatched: number;
  /** The job exists only at the served backend: not a comparison, reported apart. */
  missing_on_legacy: number;
  missing_on_nextgen: number;
  /** Shadow reads that could not be compared (error, timeout, 5xx). */
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

interface ParityOptions {
  /** Each outcome as it happens, for this instance's metrics. */
  onOutcome?: (operation: OperationId, outcome: ShadowOutcome) => void;
  logger?: Logger;
  now?: () => number;
}

/**
 * Shadow-read parity per read operation, kept in an EvidenceStore: Redis on Node, so the parity gate judges
 * what every instance saw (and what the previous deploy saw), not whichever instance receives the PATCH.
 */
export class ParityTracker {
  private dropped = 0;

  constructor(
    private readonly store: EvidenceStore,
    private readonly options: ParityOptions = {},
  ) {}

  /**
   * Compares the served answer with the other backend's: a 404 there means the job lives on one side only
   * (`missing_on_<backend>`), a 5xx that the shadow call failed; anything else is a comparison.
   */
  async compare(
    operation: OperationId,
    call: { served: Response; shadow: Response; requestId: string; servedBy: BackendName; shadowedBy: BackendName },
  ): Promise<ShadowOutcome> {
    const { served, shadow } = call;
    const apart: ShadowOutcome | undefined =
      shadow.status === 404 && served.status !== 404
        ? `missing_on_${call.shadowedBy}`
        : shadow.status >= 500
          ? 'failed'
          : undefined;
    if (apart) {
      await Promise.all([served.body?.cancel(), shadow.body?.cancel()].map((p) => p?.catch(() => undefined)));
      await this.add(operation, apart);
      return apart;
    }
    const [a, b] = await Promise.all([comparable(served), comparable(shadow)]);
    const diff = diffValues(a, b);
    const outcome: ShadowOutcome = diff.length === 0 ? 'matched' : 'mismatched';
    const now = this.options.now ?? Date.now;
    const mismatch: Mismatch | undefined =
      diff.length > 0
        ? { at: new Date(now()).toISOString(), request_id: call.requestId, served_by: call.servedBy, diff }
        : undefined;
    await this.add(operation, outcome, mismatch);
    return outcome;
  }

  recordFailure(operation: OperationId): Promise<void> {
    return this.add(operation, 'failed');
  }

  private async add(operation: OperationId, outcome: ShadowOutcome, mismatch?: Mismatch): Promise<void> {
    this.options.onOutcome?.(operation, outcome);
    try {
      await this.store.addShadow(operation, outcome, mismatch);
    } catch (err) {
      // The first loss says why; the rest only count, so an outage does not flood the log.
      if (this.dropped++ === 0) {
        this.options.logger?.warn('shadow parity: evidence not stored', {
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
  }

  /** Outcomes that could not be stored (storage down). */
  droppedCount(): number {
    return this.dropped;
  }

  get scope(): EvidenceStore['scope'] {
    return this.store.scope;
  }

  async report(): Promise<Partial<Record<OperationId, ParityCounts>>> {
    return parityOf(await this.store.read());
  }

  /** Compared and matched over the given operations. */
  async total(operations: readonly OperationId[]): Promise<{ compared: number; matched: number }> {
    const report = await this.report();
    let compared = 0;
    let matched = 0;
    for (const op of operations) {
      compared += report[op]?.compared ?? 0;
      matched += report[op]?.matched ?? 0;
    }
    return { compared, matched };
  }
}

/** The stored evidence as parity per operation. */
export function parityOf(evidence: Evidence): Partial<Record<OperationId, ParityCounts>> {
  const out: Partial<Record<OperationId, ParityCounts>> = {};
  for (const [op, counts] of Object.entries(evidence.shadow) as [OperationId, Record<ShadowOutcome, number>][]) {
    out[op] = {
      compared: counts.matched + counts.mismatched,
      ...counts,
      last_mismatches: evidence.mismatches[op] ?? [],
    };
  }
  return out;
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

import type { BackendName } from '../backends/backend.js';
import type { OperationId } from '../contract/operations.js';

/**
 * What one shadow read showed. Only `matched` and `mismatched` are comparisons: both backends answered
 * about the same job. A job only one side knows is `missing_on_<backend>` (read continuity serves it; it
 * says nothing about whether the two agree), and a shadow call that errored is `failed`.
 */
export type ShadowOutcome = 'matched' | 'mismatched' | 'missing_on_legacy' | 'missing_on_nextgen' | 'failed';

export const SHADOW_OUTCOMES: readonly ShadowOutcome[] = [
  'matched',
  'mismatched',
  'missing_on_legacy',
  'missing_on_nextgen',
  'failed',
];

export interface FieldDiff {
  path: string;
  served: unknown;
  shadow: unknown;
}

export interface Mismatch {
  at: string;
  request_id: string;
  served_by: BackendName;
  diff: FieldDiff[];
}

export interface Evidence {
  shadow: Partial<Record<OperationId, Record<ShadowOutcome, number>>>;
  violations: Partial<Record<OperationId, number>>;
  /** The latest mismatches per operation, newest first. */
  mismatches: Partial<Record<OperationId, Mismatch[]>>;
}

/**
 * Where the cutover evidence (shadow parity, next-gen contract violations) is kept: Redis on Node, so
 * every instance and every deploy judges the same evidence; memory on Workers and in unit tests. Counts
 * are kept per hour and read over the last EVIDENCE_WINDOW_HOURS, so a fixed next-gen bug stops counting
 * against it a day later without anyone resetting anything.
 */
export interface EvidenceStore {
  readonly scope: 'fleet' | 'instance';
  addShadow(operation: OperationId, outcome: ShadowOutcome, mismatch?: Mismatch): Promise<void>;
  addViolation(operation: OperationId): Promise<void>;
  read(): Promise<Evidence>;
}

export const EVIDENCE_WINDOW_HOURS = 24;
/** Mismatches kept per operation, and the bounds on each one, so the evidence stays small. */
export const KEPT_MISMATCHES = 10;
const KEPT_DIFFS = 20;
const VALUE_CHARS = 200;

const HOUR_MS = 3600_000;

/** `2026-12-01T15`: the UTC hour a count belongs to. */
export function hourOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 13);
}

/** The window's hours, newest first. */
export function windowHours(now: number, hours = EVIDENCE_WINDOW_HOURS): string[] {
  return Array.from({ length: hours }, (_, i) => hourOf(now - i * HOUR_MS));
}

function bounded(value: unknown): unknown {
  if (value === undefined) return null;
  const text = JSON.stringify(value);
  return text.length <= VALUE_CHARS ? value : `${text.slice(0, VALUE_CHARS)}…`;
}

/** A mismatch as stored: a bounded number of field diffs, each value cut to a bounded length. */
export function boundedMismatch(mismatch: Mismatch): Mismatch {
  return {
    ...mismatch,
    diff: mismatch.diff
      .slice(0, KEPT_DIFFS)
      .map((d) => ({ ...d, served: bounded(d.served), shadow: bounded(d.shadow) })),
  };
}

/** Field of an hour's hash: `getJobStatus:matched`, `parseQeInput:violations`. */
export const evidenceField = (operation: OperationId, what: ShadowOutcome | 'violations') => `${operation}:${what}`;

/** Sums hourly `field -> count` maps into the evidence's shape. */
export function sumEvidence(hours: readonly Record<string, number>[]): Omit<Evidence, 'mismatches'> {
  const shadow: Evidence['shadow'] = {};
  const violations: Evidence['violations'] = {};
  for (const counts of hours) {
    for (const [field, n] of Object.entries(counts)) {
      const at = field.lastIndexOf(':');
      const operation = field.slice(0, at) as OperationId;
      const what = field.slice(at + 1);
      if (what === 'violations') {
        violations[operation] = (violations[operation] ?? 0) + n;
      } else if ((SHADOW_OUTCOMES as readonly string[]).includes(what)) {
        const entry =
          shadow[operation] ??
          (Object.fromEntries(SHADOW_OUTCOMES.map((o) => [o, 0])) as Record<ShadowOutcome, number>);
        entry[what as ShadowOutcome] += n;
        shadow[operation] = entry;
      }
    }
  }
  return { shadow, violations };
}

/** This process only: Workers isolates and unit tests. */
export function memoryEvidenceStore(now: () => number = Date.now): EvidenceStore {
  const hours = new Map<string, Record<string, number>>();
  const mismatches = new Map<OperationId, Mismatch[]>();
  const add = (field: string) => {
    const hour = hourOf(now());
    const counts = hours.get(hour) ?? {};
    counts[field] = (counts[field] ?? 0) + 1;
    hours.set(hour, counts);
    const keep = new Set(windowHours(now()));
    for (const key of hours.keys()) if (!keep.has(key)) hours.delete(key);
  };
  return {
    scope: 'instance',
    async addShadow(operation, outcome, mismatch) {
      add(evidenceField(operation, outcome));
      if (mismatch) {
        const kept = [boundedMismatch(mismatch), ...(mismatches.get(operation) ?? [])].slice(0, KEPT_MISMATCHES);
        mismatches.set(operation, kept);
      }
    },
    async addViolation(operation) {
      add(evidenceField(operation, 'violations'));
    },
    async read() {
      const counts = windowHours(now()).flatMap((hour): Record<string, number>[] => {
        const entry = hours.get(hour);
        return entry ? [entry] : [];
      });
      return {
        ...sumEvidence(counts),
        mismatches: Object.fromEntries([...mismatches].map(([op, list]) => [op, [...list]])),
      };
    },
  };
}

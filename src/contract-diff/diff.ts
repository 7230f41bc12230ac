import { CHECKS } from './checks/index.js';
import { type OperationPair, type OperationRef, operations } from './document.js';
import type { Check, DiffContext, Report } from './rules.js';
import { type Finding, type JsonObject, LEVELS } from './types.js';

export interface DiffOptions {
  /** Only operations whose path starts with this are compared (`--paths`). */
  pathPrefix?: string;
  /** `YYYY-MM-DD`; defaults to the current UTC date. */
  today?: string;
  isRetired?: (method: string, path: string) => boolean;
  checks?: readonly Check[];
}

/** Every difference between two OpenAPI documents that a rule knows, most severe first. */
export function diffContracts(base: JsonObject, head: JsonObject, options: DiffOptions = {}): Finding[] {
  const prefix = options.pathPrefix ?? '';
  const baseOps = operations(base, prefix);
  const headOps = operations(head, prefix);
  const matched: OperationPair[] = [];
  const removed: OperationRef[] = [];
  for (const [key, op] of baseOps) {
    const other = headOps.get(key);
    if (other) matched.push({ method: other.method, path: other.path, base: op, head: other });
    else removed.push(op);
  }
  const added = [...headOps].filter(([key]) => !baseOps.has(key)).map(([, op]) => op);
  const ctx: DiffContext = {
    base,
    head,
    today: options.today ?? new Date().toISOString().slice(0, 10),
    isRetired: options.isRetired ?? (() => false),
    removed,
    added,
    matched,
  };

  const findings: Finding[] = [];
  for (const check of options.checks ?? CHECKS) {
    const levels = new Map(check.rules.map((r) => [r.id, r.level]));
    const report: Report = (id, where, message) => {
      const level = levels.get(id);
      // A rule's level is declared once, with the check; reporting an undeclared id is a bug in the check.
      if (!level) throw new Error(`check '${check.name}' reported undeclared rule '${id}'`);
      findings.push({ id, level, method: where.method, path: where.path, message });
    };
    check.run(ctx, report);
  }
  return sortFindings(dedupe(findings));
}

/** A shared schema reached twice through one operation (e.g. two success statuses) reports once. */
function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.id}\u0000${f.method}\u0000${f.path}\u0000${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function sortFindings(findings: Finding[]): Finding[] {
  const rank = (f: Finding) => LEVELS.indexOf(f.level);
  return findings
    .map((f, index) => ({ f, index }))
    .sort(
      (a, b) =>
        rank(a.f) - rank(b.f) ||
        a.f.path.localeCompare(b.f.path) ||
        a.f.method.localeCompare(b.f.method) ||
        a.index - b.index,
    )
    .map(({ f }) => f);
}

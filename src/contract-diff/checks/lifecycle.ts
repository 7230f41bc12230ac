import type { OperationRef } from '../document.js';
import { deprecationCheck, judgeDeprecatedRemoval, RETIREMENT_REMOVAL_RULES } from '../retirement.js';
import { type Check, type DiffContext, type Report, rule } from '../rules.js';

/**
 * Extension point for the deprecation and retirement rules of the routes/ manifest (DESIGN.md, "Retirement
 * lifecycle"). They need what the structural checks do not: the date (`ctx.today`, `YYYY-MM-DD`, set with
 * `--today` so CI runs are reproducible) and whether a closed checklist item covers an operation
 * (`ctx.isRetired(method, path)`, supplied by whoever calls `diffContracts`).
 *
 * Implemented in ../retirement.ts and registered here, with oasdiff's ids and levels:
 * - `endpoint-deprecated-with-sunset` / `endpoint-deprecated` (INFO): an operation became `deprecated: true`;
 * - `api-sunset-deleted` (ERR): a deprecated operation lost its sunset date;
 * - `api-sunset-date-changed-too-small` (ERR): its sunset date moved earlier;
 * - `api-removed-before-sunset` (ERR): removed while its sunset date is after `today`;
 * - `endpoint-retired` (INFO, shown as RETIRED): removed on or after its sunset, covered by a closed item;
 * - `api-removed-without-retirement` (ERR): removed after its sunset, but no closed item covers it.
 * Operation-level rules go in `lifecycleChecks` (they see `ctx.matched`); removals all pass through
 * `reportRemovedOperation`, the one place that decides how a removed operation is judged.
 */
export const lifecycleChecks: Check[] = [deprecationCheck];

export const REMOVAL_RULES = [
  rule('api-removed-without-deprecation', 'ERR', 'an operation was removed'),
  rule('api-path-removed-without-deprecation', 'ERR', 'a path was removed with all its operations'),
  ...RETIREMENT_REMOVAL_RULES,
];

export function reportRemovedOperation(
  ctx: DiffContext,
  report: Report,
  removed: OperationRef,
  wholePathRemoved: boolean,
): void {
  if (judgeDeprecatedRemoval(ctx, report, removed, wholePathRemoved)) return;
  const where = { method: removed.method, path: removed.path };
  if (wholePathRemoved)
    report('api-path-removed-without-deprecation', where, `path '${removed.path}' removed (with ${removed.method})`);
  else report('api-removed-without-deprecation', where, `operation ${removed.method} ${removed.path} removed`);
}

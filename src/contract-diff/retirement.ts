import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { isIsoDate } from '../lifecycle/dates.js';
import { MANIFEST_PATH, RetirementManifestSchema } from '../lifecycle/manifest.js';
import { ContractInputError, type OperationRef, operations, routeKey } from './document.js';
import { type Check, type DiffContext, type Report, rule } from './rules.js';
import type { JsonObject } from './types.js';

/**
 * oasdiff's deprecation and sunset policy over `deprecated: true` and `x-sunset: YYYY-MM-DD` (what
 * src/contract writes for a deprecated operation), plus the one rule oasdiff cannot know: a removal is
 * `retired` when a closed item of routes/retirement.json covers it.
 */
export const RETIRED_RULE = 'endpoint-retired';

/** Rule ids the text report shows as RETIRED instead of their level (INFO): removals the checklist explains. */
export const RETIRED_RULES: ReadonlySet<string> = new Set([RETIRED_RULE]);

export const RETIREMENT_REMOVAL_RULES = [
  rule('api-removed-before-sunset', 'ERR', 'a deprecated operation was removed before its sunset date'),
  rule('api-path-removed-before-sunset', 'ERR', 'a path was removed with a deprecated operation before its sunset'),
  rule(
    'api-removed-without-retirement',
    'ERR',
    'a deprecated operation was removed after its sunset, but no closed checklist item retires it',
  ),
  rule(RETIRED_RULE, 'INFO', 'a deprecated operation was removed on or after its sunset by a closed checklist item'),
];

function sunsetOf(operation: JsonObject): string | undefined {
  const sunset = operation['x-sunset'];
  return typeof sunset === 'string' ? sunset : undefined;
}

const isDeprecated = (operation: JsonObject) => operation.deprecated === true;

/**
 * Judges the removal of a deprecated operation; false for one that was never deprecated, which stays
 * `api-removed-without-deprecation`.
 */
export function judgeDeprecatedRemoval(
  ctx: DiffContext,
  report: Report,
  removed: OperationRef,
  wholePathRemoved: boolean,
): boolean {
  if (!isDeprecated(removed.operation)) return false;
  const where = { method: removed.method, path: removed.path };
  const name = `operation ${removed.method} ${removed.path}`;
  const sunset = sunsetOf(removed.operation);
  if (sunset !== undefined && ctx.today < sunset) {
    report(
      wholePathRemoved ? 'api-path-removed-before-sunset' : 'api-removed-before-sunset',
      where,
      `${name} removed before its sunset ${sunset} (today ${ctx.today})`,
    );
  } else if (ctx.isRetired(removed.method, removed.path)) {
    report(
      RETIRED_RULE,
      where,
      `${name} retired by a closed checklist item${sunset ? `, sunset ${sunset} passed` : ''}`,
    );
  } else {
    report(
      'api-removed-without-retirement',
      where,
      `${name} removed ${sunset ? `after its sunset ${sunset}` : 'without a sunset date'}, but no closed item of ${MANIFEST_PATH} retires it`,
    );
  }
  return true;
}

/** Deprecation and sunset changes of operations present on both sides. */
export const deprecationCheck: Check = {
  name: 'deprecation',
  rules: [
    rule('endpoint-deprecated-with-sunset', 'INFO', 'an operation became deprecated, with a sunset date'),
    rule('endpoint-deprecated', 'INFO', 'an operation became deprecated without a sunset date'),
    rule('endpoint-reactivated', 'INFO', 'a deprecated operation is no longer deprecated'),
    rule('api-deprecated-sunset-parse', 'ERR', 'x-sunset is not a date as YYYY-MM-DD'),
    rule('api-sunset-deleted', 'ERR', 'a deprecated operation lost its sunset date'),
    rule('api-sunset-date-changed-too-small', 'ERR', 'a sunset date moved earlier'),
    rule('api-sunset-date-changed', 'INFO', 'a sunset date moved later'),
  ],
  run(ctx, report) {
    for (const { base, head, method, path } of ctx.matched) {
      const where = { method, path };
      const before = sunsetOf(base.operation);
      const after = sunsetOf(head.operation);
      if (!isDeprecated(head.operation)) {
        if (isDeprecated(base.operation)) report('endpoint-reactivated', where, 'operation is no longer deprecated');
        continue;
      }
      if (after !== undefined && !isIsoDate(after)) {
        report('api-deprecated-sunset-parse', where, `x-sunset '${after}' is not a date as YYYY-MM-DD`);
        continue;
      }
      if (!isDeprecated(base.operation)) {
        if (after) report('endpoint-deprecated-with-sunset', where, `operation deprecated, sunset ${after}`);
        else report('endpoint-deprecated', where, 'operation deprecated without a sunset date');
      } else if (before && !after) {
        report('api-sunset-deleted', where, `sunset date ${before} deleted`);
      } else if (before && after && after < before) {
        report('api-sunset-date-changed-too-small', where, `sunset moved earlier, from ${before} to ${after}`);
      } else if (before && after && after > before) {
        report('api-sunset-date-changed', where, `sunset moved later, from ${before} to ${after}`);
      }
    }
  },
};

/**
 * Which removals of `base` a manifest covers: the operations (by the base document's operationId) of its
 * closed items. Only the manifest's shape is checked here: its consistency with the code is the gateway's
 * and the `retire` commands' business, and an older manifest may name operations the code no longer has.
 */
export function retiredOperations(manifest: unknown, source: string, base: JsonObject) {
  const parsed = RetirementManifestSchema.safeParse(manifest);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new ContractInputError(`${source} is not a retirement manifest: ${first?.path.join('.')}: ${first?.message}`);
  }
  const closed = new Set(
    parsed.data.items.filter((i) => i.state === 'closed').flatMap((i) => i.operations.map((o) => o.operation)),
  );
  const keys = new Set(
    [...operations(base).values()]
      .filter((op) => typeof op.operation.operationId === 'string' && closed.has(op.operation.operationId))
      .map((op) => routeKey(op.method, op.path)),
  );
  return (method: string, path: string) => keys.has(routeKey(method, path));
}

/**
 * The manifest that goes with HEAD: `--manifest PATH` when given; for a git ref, that ref's
 * routes/retirement.json; for a file, the working tree's. Undefined when there is none (nothing retired).
 */
export function manifestForHead(
  head: string,
  cwd: string,
  explicit: string | undefined,
): { source: string; value: unknown } | undefined {
  if (explicit !== undefined) {
    const text = readText(resolve(cwd, explicit));
    if (text === undefined) throw new ContractInputError(`--manifest ${explicit}: no such file`);
    return { source: explicit, value: parseJson(text, explicit) };
  }
  const ref = isFile(resolve(cwd, head)) ? undefined : head.includes(':') ? head.slice(0, head.indexOf(':')) : head;
  if (ref === undefined || ref === '') {
    const text = readText(resolve(cwd, MANIFEST_PATH));
    return text === undefined ? undefined : { source: MANIFEST_PATH, value: parseJson(text, MANIFEST_PATH) };
  }
  const source = `${ref}:${MANIFEST_PATH}`;
  try {
    const text = execFileSync('git', ['show', source], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { source, value: parseJson(text, source) };
  } catch (error) {
    if (error instanceof ContractInputError) throw error;
    // A commit from before the manifest existed: nothing is retired there.
    return undefined;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ContractInputError(
      `${source} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

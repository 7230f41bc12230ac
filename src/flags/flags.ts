import { type FlagName, type FlagValues, ResultReadSource, SubmissionRoute } from '../contract/schemas/ops.js';

export type { FlagName, FlagValues };

export const FLAG_KEY_PREFIX = 'zpe:ops:';

export function flagKey(name: FlagName): string {
  return `${FLAG_KEY_PREFIX}${name}`;
}

/** The legacy's boolean spellings, in any case: for flags in Redis and their defaults in the environment alike. */
export const BOOLEAN_SPELLINGS = { true: ['1', 'true', 'yes', 'on'], false: ['0', 'false', 'no', 'off'] } as const;

/** True or false for a legacy spelling, undefined for anything else. */
export function parseBoolean(raw: string): boolean | undefined {
  const value = raw.trim().toLowerCase();
  if ((BOOLEAN_SPELLINGS.true as readonly string[]).includes(value)) return true;
  if ((BOOLEAN_SPELLINGS.false as readonly string[]).includes(value)) return false;
  return undefined;
}

const ENUMS = { submission_route: SubmissionRoute.options, result_read_source: ResultReadSource.options };

/**
 * Legacy parsing, per request in the legacy: trimmed and lower-cased, then booleans in its
 * spellings and enums as one of their literals; anything else (`""`, `2`) is the default.
 */
export function parseFlag<K extends FlagName>(
  name: K,
  raw: string | null | undefined,
  fallback: FlagValues[K],
): FlagValues[K] {
  if (raw === null || raw === undefined) return fallback;
  const value = raw.trim().toLowerCase();
  if (name === 'submission_route' || name === 'result_read_source') {
    const allowed: readonly string[] = ENUMS[name as keyof typeof ENUMS];
    return (allowed.includes(value) ? value : fallback) as FlagValues[K];
  }
  return (parseBoolean(value) ?? fallback) as FlagValues[K];
}

/** Legacy writers store booleans as `1`/`0` and enums as their value. */
export function serializeFlag(value: FlagValues[FlagName]): string {
  if (value === true) return '1';
  if (value === false) return '0';
  return value;
}

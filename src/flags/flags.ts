import type { FlagName, FlagValues } from '../contract/schemas/ops.js';

export type { FlagName, FlagValues };

export const FLAG_KEY_PREFIX = 'zpe:ops:';

export function flagKey(name: FlagName): string {
  return `${FLAG_KEY_PREFIX}${name}`;
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);
const ENUMS = {
  submission_route: ['redis-worker', 'next-gen'],
  result_read_source: ['redis', 'projection'],
} as const;

/** Legacy parsing: booleans in any case and spelling, enums exactly; anything else is the default. */
export function parseFlag<K extends FlagName>(
  name: K,
  raw: string | null | undefined,
  fallback: FlagValues[K],
): FlagValues[K] {
  if (raw === null || raw === undefined) return fallback;
  const value = raw.trim();
  if (name === 'submission_route' || name === 'result_read_source') {
    const allowed: readonly string[] = ENUMS[name as keyof typeof ENUMS];
    return (allowed.includes(value) ? value : fallback) as FlagValues[K];
  }
  const lower = value.toLowerCase();
  if (TRUE.has(lower)) return true as FlagValues[K];
  if (FALSE.has(lower)) return false as FlagValues[K];
  return fallback;
}

/** Legacy writers store booleans as `1`/`0` and enums as their value. */
export function serializeFlag(value: FlagValues[FlagName]): string {
  if (value === true) return '1';
  if (value === false) return '0';
  return value;
}

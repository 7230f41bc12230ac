import { createHash, randomBytes, randomUUID } from 'node:crypto';

/**
 * Value formats of the legacy layout: timestamps, ids, tokens, and the JSON the legacy reads and
 * writes.
 */

/**
 * ISO 8601 UTC with an explicit `+00:00` offset, the form the legacy (Python's
 * `datetime.isoformat()`) writes: six fraction digits, none when the microseconds are 0
 * (`2026-02-15T09:30:00.123000+00:00`, `2026-02-15T09:30:00+00:00`).
 */
export function isoTime(ms: number): string {
  const whole = new Date(ms).toISOString().slice(0, 19);
  const micros = Math.round((ms - Math.floor(ms / 1000) * 1000) * 1000);
  return micros === 0 ? `${whole}+00:00` : `${whole}.${String(micros).padStart(6, '0')}+00:00`;
}

export const epochSeconds = (ms: number) => Math.floor(ms / 1000);

/**
 * 32 lowercase hex digits, as Python's `uuid4().hex` makes them: 122 random bits. randomUUID draws
 * from a cached entropy pool, far cheaper per id than randomBytes on the lease path.
 */
const hex32 = () => randomUUID().replaceAll('-', '');

/** `http-` + 32 lowercase hex: jobs submitted for HTTP workers. */
export const newJobId = () => `http-${hex32()}`;
/** `compute-` + 32 hex. */
export const newServerId = () => `compute-${hex32()}`;
/** `qt-` + 32 hex. */
export const newTargetId = () => `qt-${hex32()}`;
/** 32 hex. */
export const newLeaseId = hex32;

/** Enrollment and worker tokens: 32 random bytes, URL-safe base64 without padding. */
export const newToken = () => randomBytes(32).toString('base64url');

/** Worker tokens are stored by their SHA-256, hex. */
export const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

/** JSON text to a plain object; anything else (not JSON, an array, a scalar) is undefined. */
export function parseObject(text: string | null | undefined): Record<string, unknown> | undefined {
  if (text === null || text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

import { createHash, randomBytes, randomUUID } from 'node:crypto';

/**
 * Value formats of the legacy layout: timestamps, ids, tokens, and the JSON the legacy reads and
 * writes.
 */

/**
 * ISO 8601 UTC with an explicit `+00:00` offset and microseconds, the form the legacy (Python's
 * `datetime.isoformat()`) writes: `2026-02-15T09:30:00.123000+00:00`.
 */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000+00:00');
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

/** Older results name the k-point grid `kpts`; readers see `kpoints`. */
export function renameKpts(result: Record<string, unknown>): Record<string, unknown> {
  if (!('kpts' in result) || 'kpoints' in result) return result;
  const { kpts, ...rest } = result;
  return { ...rest, kpoints: kpts };
}

/**
 * Equality of JSON values, whatever the key order or number spelling (`1.0` and `1` are equal): the
 * legacy and the gateway serialise the same result differently.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && sameJson(a[k], b[k]));
  }
  return false;
}

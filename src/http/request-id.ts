/**
 * Request ids as the legacy makes them: the caller's `x-request-id` kept verbatim, else 32 lowercase hex
 * digits (Python's `uuid4().hex`). Unlike the legacy, a given id is kept only when it is 1 to 128
 * printable ASCII characters: the id is echoed in a header, logged and stored in the job's meta in Redis,
 * so a header of kilobytes or of bytes a header cannot carry gets a fresh id instead.
 */

const USABLE = /^[\x20-\x7e]{1,128}$/;

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));
// Random bytes drawn for 256 ids at a time: one call into the system's generator instead of one per id.
const pool = new Uint8Array(16 * 256);
let next = pool.length;

/** A version 4 UUID's 32 hex digits, as `uuid4().hex`. */
export function newRequestId(): string {
  if (next === pool.length) {
    crypto.getRandomValues(pool);
    next = 0;
  }
  const at = next;
  next += 16;
  let id = '';
  for (let i = at; i < at + 16; i++) {
    const offset = i - at;
    // The version (4) and variant (10xx) bits of RFC 9562.
    const byte =
      offset === 6
        ? ((pool[i] as number) & 0x0f) | 0x40
        : offset === 8
          ? ((pool[i] as number) & 0x3f) | 0x80
          : (pool[i] as number);
    id += HEX[byte];
  }
  return id;
}

export function requestIdOf(given: string | undefined): string {
  return given !== undefined && USABLE.test(given) ? given : newRequestId();
}

/**
 * Request ids as the legacy makes them: the caller's `x-request-id` kept verbatim, else 32 lowercase hex
 * digits (Python's `uuid4().hex`). Unlike the legacy, a given id is kept only when it is 1 to 128
 * printable ASCII characters: the id is echoed in a header, logged and stored in the job's meta in Redis,
 * so a header of kilobytes or of bytes a header cannot carry gets a fresh id instead.
 */

const USABLE = /^[\x20-\x7e]{1,128}$/;

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));
const ID_BYTES = 16;
// Random bytes drawn for 256 ids at a time: one call into the system's generator instead of one per id.
const pool = new Uint8Array(ID_BYTES * 256);
let next = pool.length;

function refill(): void {
  crypto.getRandomValues(pool);
  // Each id's version (4) and variant (10xx) bits, as RFC 9562 sets them.
  for (let at = 0; at < pool.length; at += ID_BYTES) {
    pool[at + 6] = ((pool[at + 6] as number) & 0x0f) | 0x40;
    pool[at + 8] = ((pool[at + 8] as number) & 0x3f) | 0x80;
  }
  next = 0;
}

/** A version 4 UUID's 32 hex digits, as `uuid4().hex`. */
export function newRequestId(): string {
  if (next === pool.length) refill();
  let id = '';
  for (let i = next; i < next + ID_BYTES; i++) id += HEX[pool[i] as number];
  next += ID_BYTES;
  return id;
}

export function requestIdOf(given: string | undefined): string {
  return given !== undefined && USABLE.test(given) ? given : newRequestId();
}

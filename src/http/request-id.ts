/**
 * Request ids as the legacy makes them: the caller's `x-request-id` kept verbatim, else 32 lowercase hex
 * digits (Python's `uuid4().hex`). Unlike the legacy, a given id is kept only when it is 1 to 128
 * printable ASCII characters: the id is echoed in a header, logged and stored in the job's meta in Redis,
 * so a header of kilobytes or of bytes a header cannot carry gets a fresh id instead.
 */

const USABLE = /^[\x20-\x7e]{1,128}$/;

export const newRequestId = (): string => crypto.randomUUID().replaceAll('-', '');

export function requestIdOf(given: string | undefined): string {
  return given !== undefined && USABLE.test(given) ? given : newRequestId();
}

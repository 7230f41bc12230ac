import { decodePythonJson, type PythonJsonResult } from '../python/json-scanner.js';

/**
 * A request body read as the legacy (FastAPI on Starlette) reads it: JSON when the Content-Type is
 * absent, `application/json` or `application/*+json` (parameters ignored, any case), the bytes decoded
 * as Python's json.loads decodes bytes (UTF-8 with an optional BOM, UTF-16 or UTF-32 told apart by
 * their BOM or zero bytes), and the text decoded as Python decodes it (../python/json-scanner.ts).
 */

/** Python's `email.message.Message.get_content_type()` test FastAPI applies to the Content-Type. */
export function isJsonContentType(header: string | undefined): boolean {
  if (!header) return true;
  const type = header.split(';', 1)[0]!.trim().toLowerCase();
  const parts = type.split('/');
  // RFC 2045: a malformed type counts as text/plain.
  if (parts.length !== 2) return false;
  const [main, sub] = parts as [string, string];
  return main === 'application' && (sub === 'json' || sub.endsWith('+json'));
}

function utf16(bytes: Uint8Array, bigEndian: boolean, skip: number): string | undefined {
  if ((bytes.length - skip) % 2 !== 0) return undefined;
  const units = new Uint16Array((bytes.length - skip) / 2);
  for (let i = 0; i < units.length; i++) {
    const a = bytes[skip + 2 * i]!;
    const b = bytes[skip + 2 * i + 1]!;
    units[i] = bigEndian ? (a << 8) | b : (b << 8) | a;
  }
  // Lone surrogates are kept, as Python's 'surrogatepass' keeps them.
  return chunkedFromCodes(units);
}

function utf32(bytes: Uint8Array, bigEndian: boolean, skip: number): string | undefined {
  if ((bytes.length - skip) % 4 !== 0) return undefined;
  const points: number[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = skip; at < bytes.length; at += 4) {
    const point = view.getUint32(at, !bigEndian);
    if (point > 0x10ffff) return undefined;
    points.push(point);
  }
  let out = '';
  for (let i = 0; i < points.length; i += 8192) out += String.fromCodePoint(...points.slice(i, i + 8192));
  return out;
}

function chunkedFromCodes(units: Uint16Array): string {
  let out = '';
  for (let i = 0; i < units.length; i += 8192) out += String.fromCharCode(...units.subarray(i, i + 8192));
  return out;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The body's text as Python's json.loads(bytes) decodes it (json.detect_encoding); undefined when it cannot. */
export function decodeBodyBytes(bytes: Uint8Array): string | undefined {
  const [b0, b1, b2, b3] = bytes;
  const n = bytes.length;
  if (n >= 4 && b0 === 0 && b1 === 0 && b2 === 0xfe && b3 === 0xff) return utf32(bytes, true, 4);
  if (n >= 4 && b0 === 0xff && b1 === 0xfe && b2 === 0 && b3 === 0) return utf32(bytes, false, 4);
  if (n >= 2 && b0 === 0xfe && b1 === 0xff) return utf16(bytes, true, 2);
  if (n >= 2 && b0 === 0xff && b1 === 0xfe) return utf16(bytes, false, 2);
  if (n >= 4) {
    if (b0 === 0) return b1 ? utf16(bytes, true, 0) : utf32(bytes, true, 0);
    if (b1 === 0) return b2 || b3 ? utf16(bytes, false, 0) : utf32(bytes, false, 0);
  } else if (n === 2) {
    if (b0 === 0) return utf16(bytes, true, 0);
    if (b1 === 0) return utf16(bytes, false, 0);
  }
  try {
    // The decoder drops a leading BOM, as Python's 'utf-8-sig' does.
    return UTF8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * False as soon as brackets outside strings nest deeper than `maxDepth`: a pass that costs no more
 * than the bomb's first levels, so that JSON.parse never sees one.
 */
function withinDepth(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return false;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return true;
}

/**
 * True when `text` holds at most `limit` opening brackets in all, strings included, so nothing in it
 * can nest deeper: a native search, much cheaper than withinDepth's walk, and enough for most bodies.
 */
function fewBrackets(text: string, limit: number): boolean {
  let count = 0;
  for (const bracket of ['[', '{']) {
    for (let at = text.indexOf(bracket); at !== -1; at = text.indexOf(bracket, at + 1)) {
      if (++count > limit) return false;
    }
  }
  return true;
}

/**
 * The JSON value of `text`, or Python's reason to refuse it. The native parser does the common case;
 * the Python-compatible scan runs when it refuses (to find Python's error, or NaN and Infinity, which
 * only Python accepts) and when the nesting is too deep (to tell which comes first).
 */
export function parseJsonText(text: string, maxDepth: number): PythonJsonResult & { standard?: true } {
  if (fewBrackets(text, maxDepth) || withinDepth(text, maxDepth)) {
    try {
      // `standard`: the text is plain JSON (no NaN or Infinity), so it may be forwarded as received.
      return { ok: true, value: JSON.parse(text), standard: true };
    } catch {
      // Python's grammar decides below.
    }
  }
  return decodePythonJson(text, maxDepth);
}

/**
 * JSON decoded as the legacy control plane decodes request bodies: Python's `json.loads` (CPython 3.11
 * and 3.12's C scanner), so that a malformed body is refused at the same character offset with the same
 * message (`Expecting value`, `Expecting ',' delimiter`, `Unterminated string starting at`, ...), and
 * what Python accepts beyond RFC 8259 (`NaN`, `Infinity`, `-Infinity`) is accepted too. CPython 3.13
 * words trailing commas differently ("Illegal trailing comma before end of array"); this follows 3.11.
 *
 * Linear in its input and without recursion: one pass with an explicit stack, runs of plain string
 * characters skipped by a sticky regular expression with no backtracking. Nesting deeper than the given
 * bound stops the scan where the bound is crossed, so a nesting bomb costs only its first levels.
 *
 * Positions are Python string indices: code points, not UTF-16 units.
 */

export type PythonJsonResult =
  | { ok: true; value: unknown }
  | { ok: false; kind: 'syntax'; message: string; position: number }
  | { ok: false; kind: 'depth'; position: number };

const WHITESPACE = /[ \t\n\r]*/y;
// biome-ignore lint/suspicious/noControlCharactersInRegex: raw control characters end a run: JSON strings may not hold them.
const STRING_RUN = /[^"\\\u0000-\u001f]*/y;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
const CONSTANTS: [string, unknown][] = [
  ['null', null],
  ['true', true],
  ['false', false],
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['-Infinity', Number.NEGATIVE_INFINITY],
];

/** Thrown inside the scan only; turned into the result at the top. */
class ScanError {
  constructor(
    readonly message: string | null,
    readonly at: number,
  ) {}
}

/** The code point index of UTF-16 index `at`: Python counts an astral character once. */
function codePointIndex(text: string, at: number): number {
  let pairs = 0;
  for (let i = 0; i < at - 1; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        pairs++;
        i++;
      }
    }
  }
  return at - pairs;
}

function skipWhitespace(text: string, at: number): number {
  WHITESPACE.lastIndex = at;
  WHITESPACE.test(text);
  return WHITESPACE.lastIndex;
}

/** Sets `key` on `target` as an own property, also when it is `__proto__`. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else target[key] = value;
}

/** A string whose opening quote is at `begin`; returns the value and the index after the closing quote. */
function scanString(text: string, begin: number): [string, number] {
  const length = text.length;
  const parts: string[] = [];
  let at = begin + 1;
  for (;;) {
    STRING_RUN.lastIndex = at;
    STRING_RUN.test(text);
    const runEnd = STRING_RUN.lastIndex;
    if (runEnd > at) parts.push(text.slice(at, runEnd));
    if (runEnd >= length) throw new ScanError('Unterminated string starting at', begin);
    const c = text[runEnd]!;
    if (c === '"') return [parts.length === 1 ? parts[0]! : parts.join(''), runEnd + 1];
    if (c !== '\\') throw new ScanError('Invalid control character at', runEnd);
    if (runEnd + 1 >= length) throw new ScanError('Unterminated string starting at', begin);
    const escaped = text[runEnd + 1]!;
    if (escaped !== 'u') {
      const decoded = ESCAPES[escaped];
      if (decoded === undefined) throw new ScanError('Invalid \\escape', runEnd);
      parts.push(decoded);
      at = runEnd + 2;
      continue;
    }
    // As _json.c: four hex digits must be followed by at least one more character.
    let end = runEnd + 6;
    if (end >= length) throw new ScanError('Invalid \\uXXXX escape', runEnd + 1);
    const hex = text.slice(runEnd + 2, end);
    if (!HEX4.test(hex)) throw new ScanError('Invalid \\uXXXX escape', runEnd + 1);
    let unit = Number.parseInt(hex, 16);
    if (unit >= 0xd800 && unit <= 0xdbff && end + 6 < length && text[end] === '\\' && text[end + 1] === 'u') {
      const lowHex = text.slice(end + 2, end + 6);
      if (!HEX4.test(lowHex)) throw new ScanError('Invalid \\uXXXX escape', end + 1);
      const low = Number.parseInt(lowHex, 16);
      if (low >= 0xdc00 && low <= 0xdfff) {
        parts.push(String.fromCharCode(unit, low));
        unit = -1;
        end += 6;
      }
    }
    if (unit >= 0) parts.push(String.fromCharCode(unit));
    at = end;
  }
}

type Frame = { array: unknown[] } | { object: Record<string, unknown>; key: string };

/** Decodes `text` as Python's json.loads does, or says where and why it would refuse it. */
export function decodePythonJson(text: string, maxDepth: number): PythonJsonResult {
  try {
    return { ok: true, value: scan(text, maxDepth) };
  } catch (err) {
    if (!(err instanceof ScanError)) throw err;
    const position = codePointIndex(text, err.at);
    return err.message === null
      ? { ok: false, kind: 'depth', position }
      : { ok: false, kind: 'syntax', message: err.message, position };
  }
}

function scan(text: string, maxDepth: number): unknown {
  const length = text.length;
  const stack: Frame[] = [];
  let at = skipWhitespace(text, 0);
  let value: unknown;

  // Each turn reads one value at `at`, then climbs out of every container it completes.
  for (;;) {
    let opened = false;
    if (at >= length) throw new ScanError('Expecting value', at);
    const c = text[at]!;
    if (c === '"') {
      [value, at] = scanString(text, at);
    } else if (c === '[' || c === '{') {
      if (stack.length >= maxDepth) throw new ScanError(null, at);
      const inner = skipWhitespace(text, at + 1);
      const close = c === '[' ? ']' : '}';
      if (inner < length && text[inner] === close) {
        value = c === '[' ? [] : {};
        at = inner + 1;
      } else if (c === '[') {
        stack.push({ array: [] });
        at = inner;
        opened = true;
      } else {
        const [key, afterKey] = objectKey(text, inner);
        stack.push({ object: {}, key });
        at = afterKey;
        opened = true;
      }
    } else {
      const constant = CONSTANTS.find(([word]) => text.startsWith(word, at));
      if (constant) {
        value = constant[1];
        at += constant[0].length;
      } else {
        NUMBER.lastIndex = at;
        const match = NUMBER.exec(text);
        if (!match) throw new ScanError('Expecting value', at);
        value = Number(match[0]);
        at += match[0].length;
      }
    }
    if (opened) continue;

    // A value is complete: hand it to its container, and close every container that ends here.
    for (;;) {
      const frame = stack.at(-1);
      if (!frame) {
        const end = skipWhitespace(text, at);
        if (end !== length) throw new ScanError('Extra data', end);
        return value;
      }
      if ('array' in frame) frame.array.push(value);
      else setOwn(frame.object, frame.key, value);
      at = skipWhitespace(text, at);
      const close = 'array' in frame ? ']' : '}';
      if (at < length && text[at] === close) {
        stack.pop();
        value = 'array' in frame ? frame.array : frame.object;
        at += 1;
        continue;
      }
      if (at >= length || text[at] !== ',') throw new ScanError("Expecting ',' delimiter", at);
      at = skipWhitespace(text, at + 1);
      if ('object' in frame) [frame.key, at] = objectKey(text, at);
      break;
    }
  }
}

/** `"key" :` at `at`, with the whitespace after the colon; returns the key and where its value starts. */
function objectKey(text: string, at: number): [string, number] {
  if (at >= text.length || text[at] !== '"') {
    throw new ScanError('Expecting property name enclosed in double quotes', at);
  }
  const [key, afterKey] = scanString(text, at);
  const colon = skipWhitespace(text, afterKey);
  if (colon >= text.length || text[colon] !== ':') throw new ScanError("Expecting ':' delimiter", colon);
  return [key, skipWhitespace(text, colon + 1)];
}

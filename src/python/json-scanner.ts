/**
 * The one reader of Python's `json.loads` grammar (CPython 3.11 and 3.12's C scanner, `_json.c`): a
 * malformed text is refused at the same character offset with the same message (`Expecting value`,
 * `Expecting ',' delimiter`, `Unterminated string starting at`, ...), and what Python accepts beyond
 * RFC 8259 (`NaN`, `Infinity`, `-Infinity`) is accepted too. CPython 3.13 words trailing commas
 * differently ("Illegal trailing comma before end of array"); this follows 3.11.
 *
 * What the values become is the caller's: a `ValueBuilder` makes plain JavaScript values for request
 * bodies (`decodePythonJson`, below) or Python's ints, floats and dicts for what the legacy stored
 * (`pyLoads`, ./json.ts). Without a builder the scan only checks.
 *
 * Linear in its input and without recursion: character loops and an explicit stack, no regular
 * expressions. Nesting deeper than the given bound stops the scan where the bound is crossed, so a
 * nesting bomb costs only its first levels.
 *
 * Positions are Python string indices: code points, not UTF-16 units.
 */

export type PythonJsonFailure =
  | { ok: false; kind: 'syntax'; message: string; position: number }
  | { ok: false; kind: 'depth'; position: number };

export type PythonJsonResult<V = unknown> = { ok: true; value: V } | PythonJsonFailure;

/**
 * How the scan's values are made: `V` is a value, `O` an object being filled. Arrays are the scan's
 * own `V[]`, handed over when they close.
 */
export interface ValueBuilder<V, O> {
  string(value: string): V;
  /** A number as written (`-0`, `2.50`, `1E5`): Python tells an int from a float by its spelling. */
  number(literal: string): V;
  /** `null`, `true`, `false`, and `NaN`, `Infinity`, `-Infinity` as JavaScript numbers. */
  constant(value: null | boolean | number): V;
  array(items: V[]): V;
  object(): O;
  /** Called in text order: a repeated key is set again. */
  set(object: O, key: string, value: V): void;
  objectValue(object: O): V;
}

/** The simple escapes, by the code of the character after the backslash. */
const ESCAPES = new Map<number, string>(
  Object.entries({ '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' }).map(([k, v]) => [
    k.charCodeAt(0),
    v,
  ]),
);
/** The named constants, by the code of their first character. */
const WORDS = new Map<number, [string, null | boolean | number]>(
  (
    [
      ['null', null],
      ['true', true],
      ['false', false],
      ['NaN', Number.NaN],
      ['Infinity', Number.POSITIVE_INFINITY],
      ['-Infinity', Number.NEGATIVE_INFINITY],
    ] as [string, null | boolean | number][]
  ).map((word) => [word[0].charCodeAt(0), word]),
);

/** Thrown inside the scan only; turned into the result at the top. A null message: too deep. */
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
  let i = at;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
  }
  return i;
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/** The value of four hex digits at `at`, or -1. */
function hex4(text: string, at: number): number {
  let value = 0;
  for (let i = at; i < at + 4; i++) {
    const c = text.charCodeAt(i);
    const digit = isDigit(c) ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

/** Where the number starting at `at` ends (_json.c's _match_number_unicode), or -1 when there is none. */
function numberEnd(text: string, at: number): number {
  const length = text.length;
  let i = at;
  if (text.charCodeAt(i) === 0x2d && ++i >= length) return -1;
  const first = text.charCodeAt(i);
  if (first >= 0x31 && first <= 0x39) {
    i++;
    while (i < length && isDigit(text.charCodeAt(i))) i++;
  } else if (first === 0x30) {
    i++;
  } else {
    return -1;
  }
  if (i + 1 < length && text.charCodeAt(i) === 0x2e && isDigit(text.charCodeAt(i + 1))) {
    i += 2;
    while (i < length && isDigit(text.charCodeAt(i))) i++;
  }
  const e = text.charCodeAt(i);
  if (i + 1 < length && (e === 0x65 || e === 0x45)) {
    const exponentStart = i++;
    const sign = text.charCodeAt(i);
    if (i + 1 < length && (sign === 0x2d || sign === 0x2b)) i++;
    while (i < length && isDigit(text.charCodeAt(i))) i++;
    // No digit after all: the `e` is not part of the number.
    if (!isDigit(text.charCodeAt(i - 1))) i = exponentStart;
  }
  return i;
}

/** Sets `key` on `target` as an own property, also when it is `__proto__`. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** Request bodies: plain JavaScript values, as JSON.parse makes them (a `__proto__` key stays data). */
export const jsValues: ValueBuilder<unknown, Record<string, unknown>> = {
  string: (value) => value,
  number: (literal) => Number(literal),
  constant: (value) => value,
  array: (items) => items,
  object: () => ({}),
  set: setOwn,
  objectValue: (object) => object,
};

class Scanner<V, O> {
  /** The last string read, when building. */
  private string = '';
  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
    /** Null: only check. */
    private readonly builder: ValueBuilder<V, O> | null,
  ) {}

  /** The string whose opening quote is at `begin`; returns the index after its closing quote. */
  private readString(begin: number): number {
    const { text } = this;
    const build = this.builder !== null;
    const length = text.length;
    const parts: string[] = [];
    let chunk = begin + 1;
    let at = begin + 1;
    for (;;) {
      if (at >= length) throw new ScanError('Unterminated string starting at', begin);
      const c = text.charCodeAt(at);
      if (c === 0x22) {
        if (build) {
          parts.push(text.slice(chunk, at));
          this.string = parts.length === 1 ? parts[0]! : parts.join('');
        }
        return at + 1;
      }
      if (c < 0x20) throw new ScanError('Invalid control character at', at);
      if (c !== 0x5c) {
        at++;
        continue;
      }
      if (build) parts.push(text.slice(chunk, at));
      if (at + 1 >= length) throw new ScanError('Unterminated string starting at', begin);
      const escaped = text.charCodeAt(at + 1);
      if (escaped !== 0x75) {
        const decoded = ESCAPES.get(escaped);
        if (decoded === undefined) throw new ScanError('Invalid \\escape', at);
        if (build) parts.push(decoded);
        at += 2;
        chunk = at;
        continue;
      }
      // As _json.c: the four hex digits must be followed by at least one more character.
      let end = at + 6;
      if (end >= length) throw new ScanError('Invalid \\uXXXX escape', at + 1);
      let unit = hex4(text, at + 2);
      if (unit < 0) throw new ScanError('Invalid \\uXXXX escape', at + 1);
      if (
        unit >= 0xd800 &&
        unit <= 0xdbff &&
        end + 6 < length &&
        text.charCodeAt(end) === 0x5c &&
        text.charCodeAt(end + 1) === 0x75
      ) {
        const low = hex4(text, end + 2);
        if (low < 0) throw new ScanError('Invalid \\uXXXX escape', end + 1);
        if (low >= 0xdc00 && low <= 0xdfff) {
          if (build) parts.push(String.fromCharCode(unit, low));
          unit = -1;
          end += 6;
        }
      }
      if (build && unit >= 0) parts.push(String.fromCharCode(unit));
      at = end;
      chunk = at;
    }
  }

  /** `"key" :` at `at`, and the whitespace after the colon; returns where the value starts. */
  private readKey(at: number): number {
    const { text } = this;
    if (at >= text.length || text.charCodeAt(at) !== 0x22) {
      throw new ScanError('Expecting property name enclosed in double quotes', at);
    }
    const colon = skipWhitespace(text, this.readString(at));
    if (colon >= text.length || text.charCodeAt(colon) !== 0x3a) throw new ScanError("Expecting ':' delimiter", colon);
    return skipWhitespace(text, colon + 1);
  }

  /** The value of the whole text (undefined when only checking); throws ScanError. */
  scan(): V | undefined {
    const { text, builder } = this;
    const length = text.length;
    // One entry per open container: its value when building, and the key being read for objects.
    const arrays: boolean[] = [];
    const containers: (V[] | O)[] = [];
    const keys: string[] = [];
    let at = skipWhitespace(text, 0);
    let value: V | undefined;

    // Each turn reads one value at `at`, then climbs out of every container it completes.
    for (;;) {
      if (at >= length) throw new ScanError('Expecting value', at);
      const c = text.charCodeAt(at);
      if (c === 0x22) {
        at = this.readString(at);
        if (builder) value = builder.string(this.string);
      } else if (c === 0x5b || c === 0x7b) {
        if (arrays.length >= this.maxDepth) throw new ScanError(null, at);
        const isArray = c === 0x5b;
        const inner = skipWhitespace(text, at + 1);
        if (inner < length && text.charCodeAt(inner) === (isArray ? 0x5d : 0x7d)) {
          if (builder) value = isArray ? builder.array([]) : builder.objectValue(builder.object());
          at = inner + 1;
        } else {
          arrays.push(isArray);
          if (builder) containers.push(isArray ? [] : builder.object());
          if (isArray) {
            at = inner;
          } else {
            at = this.readKey(inner);
            if (builder) keys.push(this.string);
          }
          continue;
        }
      } else {
        const word = isDigit(c) ? undefined : WORDS.get(c);
        if (word && text.startsWith(word[0], at)) {
          if (builder) value = builder.constant(word[1]);
          at += word[0].length;
        } else {
          const end = numberEnd(text, at);
          if (end < 0) throw new ScanError('Expecting value', at);
          if (builder) value = builder.number(text.slice(at, end));
          at = end;
        }
      }

      // A value is complete: hand it to its container, and close every container that ends here.
      for (;;) {
        const depth = arrays.length;
        if (depth === 0) {
          const end = skipWhitespace(text, at);
          if (end !== length) throw new ScanError('Extra data', end);
          return value;
        }
        const isArray = arrays[depth - 1]!;
        if (builder) {
          const container = containers[depth - 1]!;
          if (isArray) (container as V[]).push(value as V);
          else builder.set(container as O, keys[keys.length - 1]!, value as V);
        }
        at = skipWhitespace(text, at);
        if (at < length && text.charCodeAt(at) === (isArray ? 0x5d : 0x7d)) {
          arrays.pop();
          if (builder) {
            const container = containers.pop()!;
            value = isArray ? builder.array(container as V[]) : builder.objectValue(container as O);
            if (!isArray) keys.pop();
          }
          at += 1;
          continue;
        }
        if (at >= length || text.charCodeAt(at) !== 0x2c) throw new ScanError("Expecting ',' delimiter", at);
        at = skipWhitespace(text, at + 1);
        if (!isArray) {
          at = this.readKey(at);
          if (builder) keys[keys.length - 1] = this.string;
        }
        break;
      }
    }
  }
}

/** The scan's error as the caller's result; anything else is a bug and goes on up. */
function failure(text: string, err: unknown): PythonJsonFailure {
  if (!(err instanceof ScanError)) throw err;
  const position = codePointIndex(text, err.at);
  return err.message === null
    ? { ok: false, kind: 'depth', position }
    : { ok: false, kind: 'syntax', message: err.message, position };
}

/** Decodes `text` as Python's json.loads does, into what `builder` makes, or says where and why it would refuse it. */
export function scanPythonJson<V, O>(text: string, maxDepth: number, builder: ValueBuilder<V, O>): PythonJsonResult<V> {
  try {
    return { ok: true, value: new Scanner(text, maxDepth, builder).scan() as V };
  } catch (err) {
    return failure(text, err);
  }
}

/**
 * Request bodies: the JavaScript value of `text` as Python's json.loads reads it. A first pass only
 * checks, and values are built only when the text is valid: the native JSON.parse has already taken
 * ordinary JSON (../http/json-body.ts), so what comes here is mostly refused, and a 4 MiB refused body
 * costs one quick pass with nothing allocated.
 */
export function decodePythonJson(text: string, maxDepth: number): PythonJsonResult {
  try {
    new Scanner(text, maxDepth, null).scan();
  } catch (err) {
    return failure(text, err);
  }
  return scanPythonJson(text, maxDepth, jsValues);
}

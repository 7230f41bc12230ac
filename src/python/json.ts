import { floatRepr } from './builtins.js';

/**
 * JSON as the legacy control plane (Python: `json.loads`, `json.dumps`, FastAPI's JSONResponse) reads
 * and writes it. The legacy compares stored result bytes, and prints `1.0` for a float where
 * JavaScript prints `1`, so values keep Python's distinction between int and float (`PyFloat`),
 * objects keep the key order and duplicate-key rule of a Python dict (a `Map`), and text is produced
 * with Python's spelling of numbers and its escapes.
 */

/** A Python float; a plain `number` or `bigint` is a Python int. */
export class PyFloat {
  constructor(readonly value: number) {}
}

export type PyValue = null | boolean | string | number | bigint | PyFloat | PyValue[] | PyObject;
export type PyObject = Map<string, PyValue>;

/** A Python dict from a JavaScript object whose keys are not integer-like (JS would reorder those). */
export const pyObject = (entries: Record<string, PyValue>): PyObject => new Map(Object.entries(entries));

export const isPyObject = (value: PyValue | undefined): value is PyObject => value instanceof Map;

/** A float as Python's `json` module spells it: `repr` for finite values, `NaN` and `Infinity` otherwise. */
function jsonFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  return floatRepr(value);
}

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

/** A string as Python writes it: `ensure_ascii` escapes every code unit outside printable ASCII. */
function quote(text: string, ascii: boolean): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const printable = code >= 0x20 && code !== 0x22 && code !== 0x5c && (!ascii || code <= 0x7e);
    if (printable) continue;
    out += text.slice(start, i);
    const char = text[i] as string;
    out += SHORT_ESCAPES[char] ?? `\\u${code.toString(16).padStart(4, '0')}`;
    start = i + 1;
  }
  return `${out}${text.slice(start)}"`;
}

export interface DumpOptions {
  /**
   * FastAPI answers: `(",", ":")`, UTF-8 as is, and `allow_nan=False` (NaN or an infinity throws
   * PyJsonError with Python's text). Default: `json.dumps` defaults (`", "`, `": "`, ASCII, NaN written).
   */
  compact?: boolean;
  /** Pydantic's JSON mode: NaN and infinities are written as null instead of refused. */
  nonFiniteAsNull?: boolean;
}

const NOT_COMPLIANT = 'Out of range float values are not JSON compliant';

/** `json.dumps(value)` (default) or FastAPI's answer body (`compact`). */
export function pyDumps(value: PyValue, options: DumpOptions = {}): string {
  const compact = options.compact === true;
  const item = compact ? ',' : ', ';
  const key = compact ? ':' : ': ';
  const write = (v: PyValue): string => {
    if (v === null) return 'null';
    if (v === true) return 'true';
    if (v === false) return 'false';
    if (typeof v === 'string') return quote(v, !compact);
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v).toString() : jsonFloat(v);
    if (v instanceof PyFloat) {
      if (options.nonFiniteAsNull && !Number.isFinite(v.value)) return 'null';
      if (compact && !Number.isFinite(v.value)) throw new PyJsonError(NOT_COMPLIANT);
      return jsonFloat(v.value);
    }
    if (Array.isArray(v)) return `[${v.map(write).join(item)}]`;
    const parts: string[] = [];
    for (const [k, inner] of v) parts.push(`${quote(k, !compact)}${key}${write(inner)}`);
    return `{${parts.join(item)}}`;
  };
  return write(value);
}

/** Field names whose numbers are floats in the models the legacy types them with. */
export type FloatFields = ReadonlySet<string>;

/**
 * A value parsed by JavaScript as Python would hold it. JavaScript forgets whether `1` was `1.0`:
 * integral numbers are ints unless they sit under a key of `floatFields` (the legacy's models type
 * those as float, and a Python worker sends them as floats).
 */
export function fromJs(value: unknown, floatFields: FloatFields = new Set(), asFloat = false): PyValue {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return asFloat || !Number.isInteger(value) ? new PyFloat(value) : value;
  if (Array.isArray(value)) return value.map((v) => fromJs(v, floatFields, asFloat));
  if (typeof value === 'object') {
    const out: PyObject = new Map();
    for (const [k, v] of Object.entries(value)) out.set(k, fromJs(v, floatFields, floatFields.has(k)));
    return out;
  }
  return null;
}

/** `json.JSONDecodeError`: its text is what the legacy answers (`Expecting value: line 1 column 1 (char 0)`). */
export class PyJsonError extends Error {}

const MAX_DEPTH = 1000;
const SIMPLE_ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/y;
const WHITESPACE = /[ \t\n\r]*/y;

/** `json.loads(text)`: Python's grammar (NaN and Infinity included), numbers, key order and messages. */
export function pyLoads(text: string): PyValue {
  let pos = 0;

  const fail = (message: string, at: number): never => {
    // Python counts code points, JavaScript UTF-16 units.
    const before = text.slice(0, at);
    const char = [...before].length;
    const line = before.split('\n').length;
    const lastBreak = before.lastIndexOf('\n');
    const column = lastBreak < 0 ? char + 1 : [...before.slice(lastBreak + 1)].length + 1;
    throw new PyJsonError(`${message}: line ${line} column ${column} (char ${char})`);
  };
  const skip = () => {
    WHITESPACE.lastIndex = pos;
    WHITESPACE.test(text);
    pos = WHITESPACE.lastIndex;
  };

  const string = (): string => {
    const start = pos - 1;
    let out = '';
    for (;;) {
      let end = pos;
      while (end < text.length) {
        const code = text.charCodeAt(end);
        if (code === 0x22 || code === 0x5c || code < 0x20) break;
        end++;
      }
      out += text.slice(pos, end);
      pos = end;
      if (pos >= text.length) fail('Unterminated string starting at', start);
      const char = text[pos];
      if (char === '"') {
        pos++;
        return out;
      }
      if (char !== '\\') fail('Invalid control character at', pos);
      const escaped = text[pos + 1];
      if (escaped === undefined) fail('Unterminated string starting at', start);
      if (escaped === 'u') {
        const hex = text.slice(pos + 2, pos + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('Invalid \\uXXXX escape', pos + 1);
        out += String.fromCharCode(Number.parseInt(hex, 16));
        pos += 6;
        continue;
      }
      const decoded = SIMPLE_ESCAPES[escaped as string];
      if (decoded === undefined) fail('Invalid \\escape', pos);
      out += decoded;
      pos += 2;
    }
  };

  const value = (depth: number): PyValue => {
    if (depth > MAX_DEPTH) fail('Expecting value', pos);
    const char = text[pos];
    if (char === '"') {
      pos++;
      return string();
    }
    if (char === '{') return object(depth);
    if (char === '[') return array(depth);
    for (const [word, result] of [
      ['null', null],
      ['true', true],
      ['false', false],
      ['NaN', new PyFloat(Number.NaN)],
      ['Infinity', new PyFloat(Number.POSITIVE_INFINITY)],
      ['-Infinity', new PyFloat(Number.NEGATIVE_INFINITY)],
    ] as const) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return result;
      }
    }
    NUMBER.lastIndex = pos;
    const match = NUMBER.exec(text);
    if (!match) return fail('Expecting value', pos);
    pos = NUMBER.lastIndex;
    if (match[1] !== undefined || match[2] !== undefined) return new PyFloat(Number(match[0]));
    const int = BigInt(match[0]);
    return int >= BigInt(Number.MIN_SAFE_INTEGER) && int <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(int) : int;
  };

  const object = (depth: number): PyObject => {
    pos++;
    const out: PyObject = new Map();
    skip();
    if (text[pos] === '}') {
      pos++;
      return out;
    }
    for (;;) {
      if (text[pos] !== '"') fail('Expecting property name enclosed in double quotes', pos);
      pos++;
      const key = string();
      skip();
      if (text[pos] !== ':') fail("Expecting ':' delimiter", pos);
      pos++;
      skip();
      out.set(key, value(depth + 1));
      skip();
      if (text[pos] === '}') {
        pos++;
        return out;
      }
      if (text[pos] !== ',') fail("Expecting ',' delimiter", pos);
      pos++;
      skip();
    }
  };

  const array = (depth: number): PyValue[] => {
    pos++;
    const out: PyValue[] = [];
    skip();
    if (text[pos] === ']') {
      pos++;
      return out;
    }
    for (;;) {
      out.push(value(depth + 1));
      skip();
      if (text[pos] === ']') {
        pos++;
        return out;
      }
      if (text[pos] !== ',') fail("Expecting ',' delimiter", pos);
      pos++;
      skip();
    }
  };

  skip();
  const result = value(0);
  skip();
  if (pos !== text.length) fail('Extra data', pos);
  return result;
}

/** `json.loads`, or undefined when the text is not JSON. */
export function tryPyLoads(text: string | null | undefined): PyValue | undefined {
  if (text === null || text === undefined) return undefined;
  try {
    return pyLoads(text);
  } catch (err) {
    if (err instanceof PyJsonError) return undefined;
    throw err;
  }
}

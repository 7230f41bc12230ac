import { floatRepr } from './builtins.js';
import { scanPythonJson, type ValueBuilder } from './json-scanner.js';

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

/**
 * Python's values from the scanner: a number with a fraction or an exponent is a float, any other an int
 * (a `bigint` beyond 2^53), NaN and the infinities are floats, and an object is a dict (`Map.set` keeps
 * a repeated key in its first place with its last value, as a dict does).
 */
const pyValues: ValueBuilder<PyValue, PyObject> = {
  string: (value) => value,
  number(literal) {
    for (let i = 0; i < literal.length; i++) {
      const c = literal.charCodeAt(i);
      // `.`, `e`, `E`
      if (c === 0x2e || c === 0x65 || c === 0x45) return new PyFloat(Number(literal));
    }
    const int = BigInt(literal);
    return int >= BigInt(Number.MIN_SAFE_INTEGER) && int <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(int) : int;
  },
  constant: (value) => (typeof value === 'number' ? new PyFloat(value) : value),
  array: (items) => items,
  object: () => new Map(),
  set: (object, key, value) => {
    object.set(key, value);
  },
  objectValue: (object) => object,
};

/**
 * Containers nest at most this deep: the 1002nd is refused with `Expecting value` at its bracket.
 * CPython raises RecursionError near its limit of 1000 instead; a JSONDecodeError keeps the answer a
 * 400, and the bound keeps a nesting bomb to its first levels.
 */
const MAX_DEPTH = 1001;

/** Python's `errmsg`: line and column from the code point offset, both counted from 1. */
function located(text: string, message: string, char: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = 0, point = 0; point < char && i < text.length; i++, point++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    } else if (unit === 0x0a) {
      line++;
      lineStart = point + 1;
    }
  }
  return `${message}: line ${line} column ${char - lineStart + 1} (char ${char})`;
}

/** `json.loads(text)`: Python's grammar (NaN and Infinity included), numbers, key order and messages. */
export function pyLoads(text: string): PyValue {
  const result = scanPythonJson(text, MAX_DEPTH, pyValues);
  if (result.ok) return result.value;
  throw new PyJsonError(located(text, result.kind === 'syntax' ? result.message : 'Expecting value', result.position));
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

import { floatRepr } from './python.js';

/** A Python float in an answer: printed as Python's `json.dumps` prints it (`0.0`, `1e-05`). */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** A Python int of any size, kept as its decimal text. */
export class PyInt {
  constructor(readonly text: string) {}
}

export type PyJson =
  | null
  | boolean
  | string
  | PyFloat
  | PyInt
  | PyJson[]
  | Map<string, PyJson>
  | { [key: string]: PyJson };

/**
 * The JSON text the legacy (FastAPI over pydantic) sends for a value: compact, UTF-8 unescaped,
 * floats in Python's spelling, keys in insertion order (a Map for keys that come from the input, which
 * a JS object would reorder when they look like numbers). Pydantic's JSON mode turns NaN and
 * infinities into null.
 */
export function pyJson(value: PyJson): string {
  const parts: string[] = [];
  const write = (v: PyJson): void => {
    if (v === null) parts.push('null');
    else if (typeof v === 'boolean') parts.push(v ? 'true' : 'false');
    else if (typeof v === 'string') parts.push(JSON.stringify(v));
    else if (v instanceof PyFloat) parts.push(Number.isFinite(v.value) ? floatRepr(v.value) : 'null');
    else if (v instanceof PyInt) parts.push(v.text);
    else if (Array.isArray(v)) {
      parts.push('[');
      v.forEach((item, i) => {
        if (i > 0) parts.push(',');
        write(item);
      });
      parts.push(']');
    } else {
      const entries = v instanceof Map ? [...v.entries()] : Object.entries(v);
      parts.push('{');
      entries.forEach(([key, item], i) => {
        if (i > 0) parts.push(',');
        parts.push(JSON.stringify(key), ':');
        write(item);
      });
      parts.push('}');
    }
  };
  write(value);
  return parts.join('');
}

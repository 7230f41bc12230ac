import type { z } from 'zod';
import type { FieldError } from '../contract/schemas/errors.js';
import { setOwn } from '../python/json-scanner.js';
import { boundedInput } from './bounded-input.js';

/**
 * The contract's request schemas (zod, the one description of each request) applied as the legacy's
 * pydantic 2 models apply them in lax mode, so that the same input passes or fails the same way with the
 * same error entries:
 * - every field in declaration order, then every unknown key in input order (`extra_forbidden`, strict
 *   objects only); a field's errors never stop the next field from being checked;
 * - integers from whole floats, booleans and strings (`"1"`, `" 2 "`, `"+3"`, `"4.00"`, `"1_000"`),
 *   `int_from_float` for `1.5`, `int_parsing` for strings that are not integers;
 * - booleans from 0/1 and the spellings `true false yes no on off t f y n 1 0` in any case;
 * - strings only from strings (`string_type`), enums as literals (`literal_error`), lists only from
 *   lists, objects only from objects.
 * Compiled once per schema at start; a schema construct pydantic semantics are not written for here is
 * refused then, not silently let through.
 */

export type Loc = (string | number)[];

/** Where errors go; past the cap they are dropped, so a body of a million bad items cannot answer a million entries. */
export class ErrorSink {
  readonly errors: FieldError[] = [];
  constructor(readonly cap = 100) {}

  add(type: string, loc: Loc, msg: string, input: unknown, ctx?: Record<string, unknown>): typeof INVALID {
    if (this.errors.length >= this.cap) return INVALID;
    const error: FieldError = { type, loc, msg, input: boundedInput(input) };
    if (ctx) error.ctx = ctx;
    this.errors.push(error);
    return INVALID;
  }
}

export const INVALID: unique symbol = Symbol('invalid');
type Outcome = unknown;
type Validate = (input: unknown, loc: Loc, sink: ErrorSink) => Outcome;

export interface Field {
  validate: Validate;
  /** Absent is fine: the key is left out, or the default filled in. */
  optional: boolean;
  defaultValue?: () => unknown;
}

const MESSAGES = {
  missing: 'Field required',
  extra_forbidden: 'Extra inputs are not permitted',
  model_attributes_type: 'Input should be a valid dictionary or object to extract fields from',
  dict_type: 'Input should be a valid dictionary',
  list_type: 'Input should be a valid list',
  string_type: 'Input should be a valid string',
  int_type: 'Input should be a valid integer',
  int_parsing: 'Input should be a valid integer, unable to parse string as an integer',
  int_parsing_size: 'Unable to parse input string as an integer, exceeded maximum size',
  int_from_float: 'Input should be a valid integer, got a number with a fractional part',
  finite_number: 'Input should be a finite number',
  float_type: 'Input should be a valid number',
  float_parsing: 'Input should be a valid number, unable to parse string as a number',
  bool_type: 'Input should be a valid boolean',
  bool_parsing: 'Input should be a valid boolean, unable to interpret input',
} as const;

type SimpleError = keyof typeof MESSAGES;

function fail(sink: ErrorSink, type: SimpleError, loc: Loc, input: unknown): typeof INVALID {
  return sink.add(type, loc, MESSAGES[type], input);
}

export function missing(sink: ErrorSink, loc: Loc, input: unknown): typeof INVALID {
  return fail(sink, 'missing', loc, input);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Rust's `str::trim`, which pydantic-core applies before parsing numbers: Unicode White_Space, both ends. */
const RUST_WHITESPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006,
  0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

function rustTrim(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && RUST_WHITESPACE.has(text.charCodeAt(start))) start++;
  while (end > start && RUST_WHITESPACE.has(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

const INT_TEXT = /^([+-]?[0-9]+(?:_[0-9]+)*)(?:\.0+)?$/;
const FLOAT_TEXT = /^[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)$/i;
const DIGIT_UNDERSCORE = /(?<=[0-9])_(?=[0-9])/g;
/** pydantic-core refuses integer strings longer than Python's default int_max_str_digits. */
const MAX_INT_DIGITS = 4300;

function laxInt(input: unknown, loc: Loc, sink: ErrorSink): Outcome {
  if (typeof input === 'boolean') return input ? 1 : 0;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return fail(sink, 'finite_number', loc, input);
    if (!Number.isInteger(input)) return fail(sink, 'int_from_float', loc, input);
    return input;
  }
  if (typeof input === 'string') {
    const text = rustTrim(input);
    if (text.length > MAX_INT_DIGITS) return fail(sink, 'int_parsing_size', loc, input);
    const match = INT_TEXT.exec(text);
    if (!match) return fail(sink, 'int_parsing', loc, input);
    const n = Number(match[1]!.replaceAll('_', ''));
    return Object.is(n, -0) ? 0 : n;
  }
  return fail(sink, 'int_type', loc, input);
}

function laxFloat(input: unknown, loc: Loc, sink: ErrorSink): Outcome {
  if (typeof input === 'boolean') return input ? 1 : 0;
  if (typeof input === 'number') return input;
  if (typeof input === 'string') {
    const text = rustTrim(input).replace(DIGIT_UNDERSCORE, '');
    if (!FLOAT_TEXT.test(text)) return fail(sink, 'float_parsing', loc, input);
    const lower = text.toLowerCase().replace(/^\+/, '');
    if (lower === 'nan' || lower === '-nan') return Number.NaN;
    if (lower.endsWith('inf') || lower.endsWith('infinity')) {
      return lower.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
    }
    return Number(text);
  }
  return fail(sink, 'float_type', loc, input);
}

const TRUE_WORDS = new Set(['1', 'on', 't', 'true', 'y', 'yes']);
const FALSE_WORDS = new Set(['0', 'off', 'f', 'false', 'n', 'no']);

function laxBool(input: unknown, loc: Loc, sink: ErrorSink): Outcome {
  if (typeof input === 'boolean') return input;
  if (typeof input === 'string') {
    const word = input.toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
    return fail(sink, 'bool_parsing', loc, input);
  }
  if (typeof input === 'number') {
    // pydantic-core goes through int: a fraction, NaN or infinity is not a boolean at all.
    if (!Number.isInteger(input)) return fail(sink, 'bool_type', loc, input);
    if (input === 0 || input === 1) return input === 1;
    return fail(sink, 'bool_parsing', loc, input);
  }
  return fail(sink, 'bool_type', loc, input);
}

/** Python's repr of a literal value, as pydantic lists the expected ones. */
function pythonRepr(value: unknown): string {
  return typeof value === 'string' ? `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'` : String(value);
}

/** `'a' or 'b'`, `'a', 'b' or 'c'`. */
function expectedList(values: readonly unknown[]): string {
  const reprs = values.map(pythonRepr);
  return reprs.length <= 1 ? (reprs[0] ?? '') : `${reprs.slice(0, -1).join(', ')} or ${reprs.at(-1)}`;
}

function literal(values: readonly unknown[]): Validate {
  const expected = expectedList(values);
  return (input, loc, sink) =>
    values.includes(input) ? input : sink.add('literal_error', loc, `Input should be ${expected}`, input, { expected });
}

interface Bound {
  type: 'greater_than' | 'greater_than_equal' | 'less_than' | 'less_than_equal';
  name: 'gt' | 'ge' | 'lt' | 'le';
  value: number;
}

const BOUND_WORDS: Record<Bound['type'], string> = {
  greater_than: 'greater than',
  greater_than_equal: 'greater than or equal to',
  less_than: 'less than',
  less_than_equal: 'less than or equal to',
};

function holds(bound: Bound, n: number): boolean {
  if (bound.name === 'gt') return n > bound.value;
  if (bound.name === 'ge') return n >= bound.value;
  if (bound.name === 'lt') return n < bound.value;
  return n <= bound.value;
}

type Def = z.core.$ZodTypes['_zod']['def'];
type CheckDef = z.core.$ZodChecks['_zod']['def'];

function numberField(def: Def & { type: 'number' }): Validate {
  let integer = false;
  const bounds: Bound[] = [];
  for (const check of def.checks ?? []) {
    const c = check._zod.def as CheckDef;
    if (c.check === 'number_format' && ['safeint', 'int32', 'uint32'].includes(c.format)) integer = true;
    else if (c.check === 'greater_than' && typeof c.value === 'number') {
      bounds.push(
        c.inclusive
          ? { type: 'greater_than_equal', name: 'ge', value: c.value }
          : { type: 'greater_than', name: 'gt', value: c.value },
      );
    } else if (c.check === 'less_than' && typeof c.value === 'number') {
      bounds.push(
        c.inclusive
          ? { type: 'less_than_equal', name: 'le', value: c.value }
          : { type: 'less_than', name: 'lt', value: c.value },
      );
    } else throw new Error(`lax validation: number check '${c.check}' is not supported`);
  }
  const base = integer ? laxInt : laxFloat;
  return (input, loc, sink) => {
    const n = base(input, loc, sink);
    if (n === INVALID) return n;
    for (const bound of bounds) {
      if (!holds(bound, n as number)) {
        return sink.add(bound.type, loc, `Input should be ${BOUND_WORDS[bound.type]} ${bound.value}`, input, {
          [bound.name]: bound.value,
        });
      }
    }
    return n;
  };
}

function noChecks(def: Def): void {
  if (def.checks?.length) throw new Error(`lax validation: checks on '${def.type}' are not supported`);
}

export interface ObjectShape {
  fields: [string, Field][];
  /** Unknown keys refused (pydantic `extra='forbid'`), else dropped. */
  forbidExtra: boolean;
}

/** An object schema's fields in declaration order. */
export function objectShape(schema: z.core.$ZodType): ObjectShape {
  const def = schema._zod.def as Def;
  if (def.type !== 'object') throw new Error(`lax validation: expected an object schema, got '${def.type}'`);
  return {
    fields: Object.entries(def.shape).map(([key, field]) => [key, compileField(field)]),
    forbidExtra: def.catchall?._zod.def.type === 'never',
  };
}

function objectField(shape: ObjectShape, notAnObject: SimpleError): Validate {
  return (input, loc, sink) => {
    if (!isPlainObject(input)) return fail(sink, notAnObject, loc, input);
    const out: Record<string, unknown> = {};
    let valid = true;
    for (const [key, field] of shape.fields) {
      if (Object.hasOwn(input, key)) {
        const value = field.validate(input[key], [...loc, key], sink);
        if (value === INVALID) valid = false;
        else setOwn(out, key, value);
      } else if (field.defaultValue) {
        setOwn(out, key, field.defaultValue());
      } else if (!field.optional) {
        missing(sink, [...loc, key], input);
        valid = false;
      }
    }
    if (shape.forbidExtra) {
      const known = new Set(shape.fields.map(([key]) => key));
      for (const key of Object.keys(input)) {
        if (known.has(key)) continue;
        fail(sink, 'extra_forbidden', [...loc, key], input[key]);
        valid = false;
      }
    }
    return valid ? out : INVALID;
  };
}

/** The validator of a request model: a body that is not an object is `model_attributes_type`, as FastAPI reports it. */
export function compileModel(schema: z.core.$ZodType): Validate {
  return objectField(objectShape(schema), 'model_attributes_type');
}

function compile(schema: z.core.$ZodType): Validate {
  const def = schema._zod.def as Def;
  switch (def.type) {
    case 'string':
      noChecks(def);
      return (input, loc, sink) => (typeof input === 'string' ? input : fail(sink, 'string_type', loc, input));
    case 'boolean':
      return laxBool;
    case 'number':
      return numberField(def);
    case 'enum':
      return literal(Object.values(def.entries));
    case 'literal':
      return literal(def.values);
    case 'unknown':
    case 'any':
      return (input) => input;
    case 'nullable': {
      const inner = compile(def.innerType);
      return (input, loc, sink) => (input === null ? null : inner(input, loc, sink));
    }
    case 'array': {
      noChecks(def);
      const item = compile(def.element);
      return (input, loc, sink) => {
        if (!Array.isArray(input)) return fail(sink, 'list_type', loc, input);
        const out: unknown[] = [];
        let valid = true;
        input.forEach((value, i) => {
          const v = item(value, [...loc, i], sink);
          if (v === INVALID) valid = false;
          else out.push(v);
        });
        return valid ? out : INVALID;
      };
    }
    case 'record': {
      if (def.keyType._zod.def.type !== 'string') throw new Error('lax validation: record keys must be strings');
      const valueType = def.valueType._zod.def.type;
      const value = compile(def.valueType);
      return (input, loc, sink) => {
        if (!isPlainObject(input)) return fail(sink, 'dict_type', loc, input);
        if (valueType === 'unknown' || valueType === 'any') return input;
        const out: Record<string, unknown> = {};
        let valid = true;
        for (const key of Object.keys(input)) {
          const v = value(input[key], [...loc, key], sink);
          if (v === INVALID) valid = false;
          else setOwn(out, key, v);
        }
        return valid ? out : INVALID;
      };
    }
    case 'object':
      return objectField(objectShape(schema), 'model_attributes_type');
    case 'optional':
    case 'default':
      // Only the object holding the field can tell absent from present; present values validate as the inner type.
      return compile(def.innerType);
    default:
      throw new Error(`lax validation: zod type '${def.type}' is not supported`);
  }
}

export function compileField(schema: z.core.$ZodType): Field {
  const def = schema._zod.def as Def;
  const validate = compile(schema);
  if (def.type === 'default') {
    const holder = def;
    // A fresh copy per request, as pydantic deep-copies a mutable default; a primitive is its own copy.
    const isPrimitive = typeof holder.defaultValue !== 'object' || holder.defaultValue === null;
    return {
      validate,
      optional: true,
      defaultValue: isPrimitive ? () => holder.defaultValue : () => structuredClone(holder.defaultValue),
    };
  }
  return { validate, optional: def.type === 'optional' };
}

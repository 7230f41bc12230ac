import { isPyObject, PyFloat, type PyObject, type PyValue } from '../../python/json.js';

/**
 * The legacy's pydantic models that it re-validates stored values with (the result it answers, the
 * payload it leases), in pydantic's lax mode: `1` → `1.0` for a float, `"2"` or `2.0` → `2` for an
 * int, `"yes"` → true for a bool, unknown keys refused, defaults filled, fields in model order.
 * Each answers undefined where pydantic raises a ValidationError.
 */

type Field = (value: PyValue) => PyValue | undefined;

const INVALID = undefined;

const FLOAT_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INT_TEXT = /^[+-]?\d+(?:\.0*)?$/;
const TRUE_TEXT = new Set(['1', 'on', 't', 'true', 'y', 'yes']);
const FALSE_TEXT = new Set(['0', 'off', 'f', 'false', 'n', 'no']);

const float: Field = (v) => {
  if (v instanceof PyFloat) return v;
  if (typeof v === 'number' || typeof v === 'bigint') return new PyFloat(Number(v));
  if (typeof v === 'boolean') return new PyFloat(v ? 1 : 0);
  if (typeof v === 'string' && FLOAT_TEXT.test(v.trim())) return new PyFloat(Number(v.trim()));
  return INVALID;
};

const int: Field = (v) => {
  if (typeof v === 'number' || typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof PyFloat) return Number.isInteger(v.value) ? v.value : INVALID;
  if (typeof v === 'string' && INT_TEXT.test(v.trim())) {
    const whole = BigInt(v.trim().replace(/\.0*$/, ''));
    return whole >= BigInt(Number.MIN_SAFE_INTEGER) && whole <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(whole) : whole;
  }
  return INVALID;
};

const bool: Field = (v) => {
  if (typeof v === 'boolean') return v;
  const n = v instanceof PyFloat ? v.value : typeof v === 'number' || typeof v === 'bigint' ? Number(v) : undefined;
  if (n === 1) return true;
  if (n === 0) return false;
  if (typeof v === 'string') {
    const text = v.toLowerCase();
    if (TRUE_TEXT.has(text)) return true;
    if (FALSE_TEXT.has(text)) return false;
  }
  return INVALID;
};

const str: Field = (v) => (typeof v === 'string' ? v : INVALID);
const literal =
  (...allowed: string[]): Field =>
  (v) =>
    typeof v === 'string' && allowed.includes(v) ? v : INVALID;
const nullable =
  (inner: Field): Field =>
  (v) =>
    v === null ? null : inner(v);
const list =
  (inner: Field, length?: number): Field =>
  (v) => {
    if (!Array.isArray(v) || (length !== undefined && v.length !== length)) return INVALID;
    const out: PyValue[] = [];
    for (const item of v) {
      const checked = inner(item);
      if (checked === INVALID) return INVALID;
      out.push(checked);
    }
    return out;
  };

interface Spec {
  check: Field;
  /** Absent: the field is required. */
  default?: PyValue;
}

type Model = ReadonlyArray<readonly [string, Spec]>;

function validate(model: Model, input: PyObject): PyObject | undefined {
  const known = new Set(model.map(([name]) => name));
  for (const key of input.keys()) if (!known.has(key)) return INVALID;
  const out: PyObject = new Map();
  for (const [name, spec] of model) {
    const given = input.get(name);
    if (given === undefined) {
      if (!('default' in spec)) return INVALID;
      out.set(name, spec.default as PyValue);
      continue;
    }
    const checked = spec.check(given);
    if (checked === INVALID) return INVALID;
    out.set(name, checked);
  }
  return out;
}

const CALC_TYPE = literal('qe.zpe.v1', 'qe.relax.v1');

/** The legacy's `ZPEResult`, in its field order (20 keys). */
const ZPE_RESULT: Model = [
  ['calc_type', { check: CALC_TYPE, default: 'qe.zpe.v1' }],
  ['freqs_cm', { check: list(float) }],
  ['zpe_ev', { check: float }],
  ['s_vib_jmol_k', { check: float }],
  ['mobile_indices', { check: list(int) }],
  ['fixed_indices', { check: list(int) }],
  ['kpoints', { check: list(int, 3) }],
  ['delta', { check: float }],
  ['low_cut_cm', { check: float }],
  ['temperature', { check: float }],
  ['use_environ', { check: bool }],
  ['qe_input', { check: str }],
  ['pseudo_dir', { check: str }],
  ['calc_start_time', { check: str }],
  ['calc_end_time', { check: str }],
  ['elapsed_seconds', { check: float }],
  ['cache_checked', { check: int }],
  ['cache_deleted', { check: int }],
  ['ecutwfc', { check: nullable(float), default: null }],
  ['ecutrho', { check: nullable(float), default: null }],
];

/** Result fields the model types as float: a worker's result keeps `1.0` for them when stored. */
export const RESULT_FLOAT_FIELDS: ReadonlySet<string> = new Set([
  'freqs_cm',
  'zpe_ev',
  's_vib_jmol_k',
  'delta',
  'low_cut_cm',
  'temperature',
  'elapsed_seconds',
  'ecutwfc',
  'ecutrho',
]);

/** The legacy's `ZPEJobRequest` (the submit body), in its field order. */
const JOB_REQUEST: Model = [
  ['calc_type', { check: CALC_TYPE, default: 'qe.zpe.v1' }],
  ['content', { check: str }],
  ['mobile_indices', { check: list(int) }],
  ['use_environ', { check: bool, default: false }],
  ['input_dir', { check: nullable(str), default: null }],
  ['calc_mode', { check: literal('new', 'continue'), default: 'continue' }],
  ['structure_id', { check: nullable(str), default: null }],
];

/** A stored result as the legacy answers it (`ZPEResult(**data)`), or undefined: 500 "result data invalid". */
export function zpeResult(stored: PyObject): PyObject | undefined {
  return validate(ZPE_RESULT, stored);
}

/**
 * The payload a lease hands out, as the legacy sends it: re-validated as the submit body and dumped
 * without nulls; a payload that does not validate goes out as stored.
 */
export function leasePayload(stored: PyValue): PyValue {
  if (!isPyObject(stored)) return stored;
  const model = validate(JOB_REQUEST, stored);
  if (!model) return stored;
  for (const [key, value] of model) if (value === null) model.delete(key);
  return model;
}

import { deref } from './document.js';
import { isObject, type JsonObject, type JsonValue } from './types.js';

export const UPPER_BOUNDS = ['maxLength', 'maximum', 'exclusiveMaximum', 'maxItems', 'maxProperties'] as const;
export const LOWER_BOUNDS = ['minLength', 'minimum', 'exclusiveMinimum', 'minItems', 'minProperties'] as const;
export type BoundKeyword = (typeof UPPER_BOUNDS)[number] | (typeof LOWER_BOUNDS)[number];

/**
 * One schema with the spellings that mean the same thing made equal: `$ref` followed, `allOf` merged,
 * `anyOf: [X, {type: null}]`, `type: [X, 'null']`, `nullable: true` and a `null` enum member all become
 * `nullable`, `const` becomes a one-value enum. Sub-schemas stay raw so the comparison can follow
 * them lazily (and stop at cycles).
 */
export interface NormalSchema {
  /** `null`: any type. `integer` is kept apart from `number`; the comparison knows one contains the other. */
  types: Set<string> | null;
  nullable: boolean;
  /** Non-null enum values, or `null` when the schema has no enum. */
  enum: JsonValue[] | null;
  format: string | undefined;
  pattern: string | undefined;
  bounds: Partial<Record<BoundKeyword, number>>;
  uniqueItems: boolean;
  default: JsonValue | undefined;
  properties: Map<string, JsonValue>;
  required: Set<string>;
  /** Raw `additionalProperties`; `undefined` when absent (anything allowed). */
  additionalProperties: JsonValue | undefined;
  items: JsonValue | undefined;
  /** The non-null branches of an `anyOf`/`oneOf` that has more than one. */
  branches: JsonValue[];
  branchKind: 'any-of' | 'one-of';
  /** Component names passed through to reach this schema, for cycle detection. */
  refs: string[];
}

function anySchema(refs: string[]): NormalSchema {
  return {
    types: null,
    nullable: false,
    enum: null,
    format: undefined,
    pattern: undefined,
    bounds: {},
    uniqueItems: false,
    default: undefined,
    properties: new Map(),
    required: new Set(),
    additionalProperties: undefined,
    items: undefined,
    branches: [],
    branchKind: 'any-of',
    refs,
  };
}

export function normalizeSchema(
  doc: JsonObject,
  raw: JsonValue | undefined,
  visiting = new Set<string>(),
): NormalSchema {
  const refs: string[] = [];
  const node = deref(doc, raw, refs);
  const out = anySchema(refs);
  if (node === false) {
    out.types = new Set();
    return out;
  }
  if (!isObject(node) || refs.some((ref) => visiting.has(ref))) return out;
  const inner = new Set([...visiting, ...refs]);

  readOwnKeywords(node, out);

  if (Array.isArray(node.allOf)) {
    for (const part of node.allOf) mergeAllOf(out, normalizeSchema(doc, part, inner));
  }
  const union = Array.isArray(node.anyOf) ? node.anyOf : Array.isArray(node.oneOf) ? node.oneOf : undefined;
  if (union) {
    const nonNull = union.filter((branch) => !isNullSchema(deref(doc, branch)));
    const allowsNull = nonNull.length < union.length;
    if (nonNull.length === 1) {
      const branch = normalizeSchema(doc, nonNull[0], inner);
      mergeAllOf(branch, { ...out, types: null, nullable: false, enum: null, refs: [] });
      branch.nullable ||= allowsNull || out.nullable;
      branch.refs = [...refs, ...branch.refs];
      if (out.default !== undefined) branch.default = out.default;
      return branch;
    }
    out.nullable ||= allowsNull;
    out.branches = nonNull;
    out.branchKind = Array.isArray(node.anyOf) ? 'any-of' : 'one-of';
    const branchTypes = nonNull.map((branch) => normalizeSchema(doc, branch, inner).types);
    if (out.types === null && branchTypes.every((types) => types !== null)) {
      out.types = new Set(branchTypes.flatMap((types) => [...(types ?? [])]));
    }
  }
  return out;
}

function readOwnKeywords(node: JsonObject, out: NormalSchema): void {
  const declared = typeof node.type === 'string' ? [node.type] : Array.isArray(node.type) ? node.type : undefined;
  if (declared) {
    const names = declared.filter((t): t is string => typeof t === 'string');
    out.nullable = names.includes('null');
    out.types = new Set(names.filter((t) => t !== 'null'));
  }
  if (node.nullable === true) out.nullable = true;
  const values = Array.isArray(node.enum) ? node.enum : 'const' in node ? [node.const ?? null] : undefined;
  if (values) {
    if (values.includes(null)) out.nullable = true;
    out.enum = values.filter((v) => v !== null);
    if (out.enum.length === 0 && out.types === null) out.types = new Set();
  }
  if (out.types === null) out.types = inferTypes(node, out.enum);
  if (typeof node.format === 'string') out.format = node.format;
  if (typeof node.pattern === 'string') out.pattern = node.pattern;
  for (const keyword of [...UPPER_BOUNDS, ...LOWER_BOUNDS]) {
    const value = node[keyword];
    if (typeof value === 'number') out.bounds[keyword] = value;
  }
  out.uniqueItems = node.uniqueItems === true;
  if ('default' in node) out.default = node.default;
  if (isObject(node.properties)) {
    for (const [name, schema] of Object.entries(node.properties)) out.properties.set(name, schema);
  }
  if (Array.isArray(node.required)) {
    for (const name of node.required) if (typeof name === 'string') out.required.add(name);
  }
  if ('additionalProperties' in node) out.additionalProperties = node.additionalProperties;
  if ('items' in node) out.items = node.items;
}

/** Without `type`, the other keywords still say what a sensible schema means (e.g. an enum of strings). */
function inferTypes(node: JsonObject, values: JsonValue[] | null): Set<string> | null {
  if (values && values.length > 0) return new Set(values.map(jsonType));
  if (isObject(node.properties) || 'additionalProperties' in node) return new Set(['object']);
  if ('items' in node) return new Set(['array']);
  return null;
}

function jsonType(value: JsonValue): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function isNullSchema(node: JsonValue | undefined): boolean {
  if (!isObject(node)) return false;
  if (node.type === 'null') return true;
  if (Array.isArray(node.type) && node.type.length === 1 && node.type[0] === 'null') return true;
  return Array.isArray(node.enum) && node.enum.length === 1 && node.enum[0] === null;
}

/** `allOf`: every part must hold, so types intersect, bounds take the tighter value, properties add up. */
function mergeAllOf(into: NormalSchema, part: NormalSchema): void {
  const allowsNull = (into.types === null || into.nullable) && (part.types === null || part.nullable);
  if (into.types === null) into.types = part.types;
  else if (part.types !== null) into.types = new Set([...into.types].filter((t) => accepts(part.types, t)));
  into.nullable = allowsNull;
  into.enum ??= part.enum;
  into.format ??= part.format;
  into.pattern ??= part.pattern;
  for (const keyword of UPPER_BOUNDS)
    into.bounds[keyword] = tighter(into.bounds[keyword], part.bounds[keyword], Math.min);
  for (const keyword of LOWER_BOUNDS)
    into.bounds[keyword] = tighter(into.bounds[keyword], part.bounds[keyword], Math.max);
  into.uniqueItems ||= part.uniqueItems;
  if (into.default === undefined) into.default = part.default;
  for (const [name, schema] of part.properties) if (!into.properties.has(name)) into.properties.set(name, schema);
  for (const name of part.required) into.required.add(name);
  if (into.additionalProperties === undefined) into.additionalProperties = part.additionalProperties;
  if (into.items === undefined) into.items = part.items;
  if (into.branches.length === 0) {
    into.branches = part.branches;
    into.branchKind = part.branchKind;
  }
  into.refs.push(...part.refs);
}

function tighter(a: number | undefined, b: number | undefined, pick: (x: number, y: number) => number) {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return pick(a, b);
}

/** Whether a value of JSON type `type` is valid against `types` (`null`: any type). */
export function accepts(types: Set<string> | null, type: string): boolean {
  if (types === null) return true;
  return types.has(type) || (type === 'integer' && types.has('number'));
}

export function describeTypes(schema: Pick<NormalSchema, 'types' | 'format'>): string {
  if (schema.types === null) return 'any';
  const names = [...schema.types].sort().join('|') || 'nothing';
  return schema.format ? `${names}/${schema.format}` : names;
}

/** `additionalProperties: false`: no property beyond the declared ones. */
export function isClosed(schema: NormalSchema): boolean {
  return schema.additionalProperties === false;
}

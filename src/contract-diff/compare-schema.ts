import type { Report, Where } from './rules.js';
import {
  accepts,
  type BoundKeyword,
  describeTypes,
  isClosed,
  LOWER_BOUNDS,
  type NormalSchema,
  normalizeSchema,
  UPPER_BOUNDS,
} from './schema.js';
import { BOUND_NAMES, type Direction, type SchemaPrefix } from './schema-rules.js';
import type { JsonObject, JsonValue } from './types.js';

/** The schema being compared: where it is, how to name it, and which way data flows through it. */
export interface Subject {
  direction: Direction;
  prefix: SchemaPrefix;
  /** How a person names it: `request body`, `query parameter 'limit'`, `response property 'result/energy'`. */
  label: string;
  /** What property labels hang under: `request`, `response` or `query parameter 'filter'`. */
  root: string;
  /** Property path below the root, `a/b/items[]`; empty at the root. */
  path: string;
  /** Appended to messages, e.g. ` for status 200`. */
  suffix: string;
  where: Where;
}

export interface SchemaComparison {
  base: JsonObject;
  head: JsonObject;
  report: Report;
}

export function compareSchemas(
  env: SchemaComparison,
  baseRaw: JsonValue | undefined,
  headRaw: JsonValue | undefined,
  subject: Subject,
  seen: ReadonlySet<string> = new Set(),
): void {
  const base = normalizeSchema(env.base, baseRaw);
  const head = normalizeSchema(env.head, headRaw);
  // Shared components are compared again at every place that uses them; a recursive one only once per path.
  const key = `${base.refs.join(',')}|${head.refs.join(',')}`;
  if (key !== '|' && seen.has(key)) return;
  const inner = key === '|' ? seen : new Set([...seen, key]);
  const say = (suffix: string, message: string) =>
    env.report(`${subject.prefix}-${suffix}`, subject.where, `${subject.label} ${message}${subject.suffix}`);

  compareTypes(base, head, say);
  compareNullability(base, head, say);
  compareEnums(base, head, say);
  compareBounds(base, head, say);
  compareKeywords(base, head, say);
  compareBranches(env, base, head, subject, inner, say);
  if (base.items !== undefined || head.items !== undefined) {
    compareSchemas(env, base.items, head.items, child(subject, `${subject.path}[]`), inner);
  }
  compareObjects(env, base, head, subject, inner, say);
}

type Say = (suffix: string, message: string) => void;

function child(parent: Subject, path: string): Subject {
  const prefix: SchemaPrefix = parent.direction === 'request' ? 'request-property' : 'response-property';
  return { ...parent, prefix, path, label: `${parent.root} property '${path}'` };
}

function childPath(parent: Subject, name: string): string {
  return parent.path ? `${parent.path}/${name}` : name;
}

/** Types and formats together: `string` to `string/date-time` narrows, to `integer` is incomparable. */
function compareTypes(base: NormalSchema, head: NormalSchema, say: Say): void {
  const lost = typesMissing(base, head);
  const gained = typesMissing(head, base);
  if (lost.length === 0 && gained.length === 0) return;
  const what = `type/format changed from '${describeTypes(base)}' to '${describeTypes(head)}'`;
  if (lost.length > 0 && gained.length > 0) say('type-changed', what);
  else if (gained.length > 0) say('type-generalized', what);
  else say('type-specialized', what);
}

/** The `type/format` combinations `from` allows that `to` does not. */
function typesMissing(from: NormalSchema, to: NormalSchema): string[] {
  if (from.types === null) return to.types === null && !to.format ? [] : ['any'];
  const out: string[] = [];
  for (const type of from.types) {
    if (!accepts(to.types, type)) out.push(type);
    else if (to.format && to.types !== null && from.format !== to.format) out.push(`${type}/${from.format ?? ''}`);
  }
  return out;
}

function compareNullability(base: NormalSchema, head: NormalSchema, say: Say): void {
  if (base.types === null || head.types === null || base.nullable === head.nullable) return;
  say(
    head.nullable ? 'became-nullable' : 'became-not-nullable',
    head.nullable ? 'became nullable' : 'became not nullable',
  );
}

function compareEnums(base: NormalSchema, head: NormalSchema, say: Say): void {
  if (base.enum === null && head.enum === null) return;
  if (base.enum === null) {
    say('became-enum', `became an enum of ${list(head.enum ?? [])}`);
    return;
  }
  if (head.enum === null) {
    say('became-not-enum', `is no longer restricted to ${list(base.enum)}`);
    return;
  }
  const headValues = new Set(head.enum.map((v) => JSON.stringify(v)));
  const baseValues = new Set(base.enum.map((v) => JSON.stringify(v)));
  for (const value of baseValues) if (!headValues.has(value)) say('enum-value-removed', `enum value ${value} removed`);
  for (const value of headValues) if (!baseValues.has(value)) say('enum-value-added', `enum value ${value} added`);
}

function compareBounds(base: NormalSchema, head: NormalSchema, say: Say): void {
  const check = (keyword: BoundKeyword, upper: boolean) => {
    const before = base.bounds[keyword];
    const after = head.bounds[keyword];
    if (before === after) return;
    const name = BOUND_NAMES[keyword];
    if (before === undefined) say(`${name}-set`, `${keyword} set to ${after}`);
    else if (after === undefined) say(`${name}-unset`, `${keyword} ${before} removed`);
    else if (after < before === upper)
      say(`${name}-${upper ? 'decreased' : 'increased'}`, `${keyword} ${before} → ${after}`);
    else say(`${name}-${upper ? 'increased' : 'decreased'}`, `${keyword} ${before} → ${after}`);
  };
  for (const keyword of UPPER_BOUNDS) check(keyword, true);
  for (const keyword of LOWER_BOUNDS) check(keyword, false);
}

function compareKeywords(base: NormalSchema, head: NormalSchema, say: Say): void {
  if (base.pattern !== head.pattern) {
    if (base.pattern === undefined) say('pattern-added', `pattern '${head.pattern}' added`);
    else if (head.pattern === undefined) say('pattern-removed', `pattern '${base.pattern}' removed`);
    else say('pattern-changed', `pattern changed from '${base.pattern}' to '${head.pattern}'`);
  }
  if (base.uniqueItems !== head.uniqueItems) {
    say(
      head.uniqueItems ? 'unique-items-set' : 'unique-items-unset',
      `uniqueItems ${head.uniqueItems ? 'set' : 'unset'}`,
    );
  }
  const before = JSON.stringify(base.default);
  const after = JSON.stringify(head.default);
  if (before !== after) {
    if (base.default === undefined) say('default-value-added', `default ${after} added`);
    else if (head.default === undefined) say('default-value-removed', `default ${before} removed`);
    else say('default-value-changed', `default changed from ${before} to ${after}`);
  }
}

/** Branches of a union pair up by what they accept (types and enum), not by position or component name. */
function compareBranches(
  env: SchemaComparison,
  base: NormalSchema,
  head: NormalSchema,
  subject: Subject,
  seen: ReadonlySet<string>,
  say: Say,
): void {
  if (base.branches.length === 0 || head.branches.length === 0) return;
  const signature = (doc: JsonObject, branch: JsonValue) => {
    const n = normalizeSchema(doc, branch);
    return `${describeTypes(n)} ${JSON.stringify(n.enum)}`;
  };
  const unpaired = head.branches.map((branch) => ({ branch, sig: signature(env.head, branch) }));
  const kind = head.branchKind;
  for (const branch of base.branches) {
    const sig = signature(env.base, branch);
    const index = unpaired.findIndex((h) => h.sig === sig);
    if (index < 0) {
      say(`${kind}-removed`, `${kind} branch '${sig.split(' ')[0]}' removed`);
      continue;
    }
    const [match] = unpaired.splice(index, 1);
    compareSchemas(env, branch, match?.branch, subject, seen);
  }
  for (const { sig } of unpaired) say(`${kind}-added`, `${kind} branch '${sig.split(' ')[0]}' added`);
}

function compareObjects(
  env: SchemaComparison,
  base: NormalSchema,
  head: NormalSchema,
  subject: Subject,
  seen: ReadonlySet<string>,
  say: Say,
): void {
  const hasObjectKeywords = (s: NormalSchema) => s.properties.size > 0 || s.additionalProperties !== undefined;
  if (!hasObjectKeywords(base) && !hasObjectKeywords(head)) return;
  const where = subject.where;
  const report = (id: string, message: string) => env.report(id, where, `${message}${subject.suffix}`);
  const name = (path: string) => child(subject, path).label;
  for (const [property, schema] of base.properties) {
    const path = childPath(subject, property);
    const wasRequired = base.required.has(property);
    if (!head.properties.has(property)) {
      if (subject.direction === 'request') report('request-property-removed', `${name(path)} removed`);
      else report(`response-${wasRequired ? 'required' : 'optional'}-property-removed`, `${name(path)} removed`);
      continue;
    }
    const isRequired = head.required.has(property);
    if (wasRequired !== isRequired) {
      report(
        `${subject.direction}-property-became-${isRequired ? 'required' : 'optional'}`,
        `${name(path)} became ${isRequired ? 'required' : 'optional'}`,
      );
    }
    compareSchemas(env, schema, head.properties.get(property), child(subject, path), seen);
  }
  for (const property of head.properties.keys()) {
    if (base.properties.has(property)) continue;
    const path = childPath(subject, property);
    const required = head.required.has(property) ? 'required' : 'optional';
    if (subject.direction === 'request') report(`new-${required}-request-property`, `new ${required} ${name(path)}`);
    else report(`response-${required}-property-added`, `${name(path)} (${required}) added`);
  }
  if (isClosed(base) !== isClosed(head)) {
    say(
      isClosed(head) ? 'additional-properties-closed' : 'additional-properties-opened',
      isClosed(head) ? 'no longer allows undeclared properties' : 'now allows undeclared properties',
    );
  }
  if (isSchemaValued(base.additionalProperties) || isSchemaValued(head.additionalProperties)) {
    compareSchemas(
      env,
      base.additionalProperties,
      head.additionalProperties,
      child(subject, `${subject.path}{}`),
      seen,
    );
  }
}

/** `additionalProperties: {...}` constrains each extra value; `true`/`false`/absent say only whether extras exist. */
function isSchemaValued(value: JsonValue | undefined): boolean {
  return (
    value !== undefined &&
    typeof value !== 'boolean' &&
    !(typeof value === 'object' && value !== null && Object.keys(value).length === 0)
  );
}

function list(values: JsonValue[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}

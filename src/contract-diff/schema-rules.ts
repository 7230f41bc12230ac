import { rule } from './rules.js';
import type { BoundKeyword } from './schema.js';
import type { Level, RuleSpec } from './types.js';

export type Direction = 'request' | 'response';

/** Where a schema sits decides the rule id prefix, as in oasdiff (`request-property-...`, `response-body-...`). */
export type SchemaPrefix =
  | 'request-body'
  | 'request-property'
  | 'request-parameter'
  | 'response-body'
  | 'response-property';

/**
 * A change that lets more values through ("widens") breaks clients reading responses; one that lets fewer
 * through ("narrows") breaks clients sending requests. This is oasdiff's model; each rule names its effect.
 */
type Effect = 'widens' | 'narrows' | 'incomparable' | 'unknown' | 'none';

function levelOf(effect: Effect, direction: Direction): Level {
  switch (effect) {
    case 'incomparable':
      return 'ERR';
    case 'unknown':
      return 'WARN';
    case 'none':
      return 'INFO';
    case 'widens':
      return direction === 'response' ? 'ERR' : 'INFO';
    case 'narrows':
      return direction === 'request' ? 'ERR' : 'INFO';
  }
}

export const BOUND_NAMES: Record<BoundKeyword, string> = {
  maxLength: 'max-length',
  maximum: 'max',
  exclusiveMaximum: 'exclusive-max',
  maxItems: 'max-items',
  maxProperties: 'max-properties',
  minLength: 'min-length',
  minimum: 'min',
  exclusiveMinimum: 'exclusive-min',
  minItems: 'min-items',
  minProperties: 'min-properties',
};

const UPPER: BoundKeyword[] = ['maxLength', 'maximum', 'exclusiveMaximum', 'maxItems', 'maxProperties'];

/** Rule suffixes every schema position shares, with what each change does to the set of valid values. */
const SCHEMA_CHANGES: [suffix: string, effect: Effect, description: string][] = [
  ['type-changed', 'incomparable', 'type or format changed to one that neither contains nor is contained by the old'],
  ['type-generalized', 'widens', 'type or format widened (e.g. integer to number, a format dropped)'],
  ['type-specialized', 'narrows', 'type or format narrowed (e.g. number to integer, a format added)'],
  ['became-nullable', 'widens', 'null became allowed'],
  ['became-not-nullable', 'narrows', 'null is no longer allowed'],
  ['enum-value-added', 'widens', 'an enum value was added'],
  ['enum-value-removed', 'narrows', 'an enum value was removed'],
  ['became-enum', 'narrows', 'values became restricted to an enum'],
  ['became-not-enum', 'widens', 'the enum restriction was dropped'],
  ['pattern-added', 'narrows', 'a pattern was added'],
  ['pattern-removed', 'widens', 'the pattern was removed'],
  ['pattern-changed', 'unknown', 'the pattern changed; whether it accepts less cannot be decided'],
  ['unique-items-set', 'narrows', 'array items must now be unique'],
  ['unique-items-unset', 'widens', 'array items need no longer be unique'],
  ['additional-properties-closed', 'narrows', 'properties beyond the declared ones are no longer allowed'],
  // A client must ignore properties it does not know (new response fields are compatible for the same reason).
  ['additional-properties-opened', 'none', 'properties beyond the declared ones became allowed'],
  ['any-of-added', 'widens', 'an anyOf branch was added'],
  ['any-of-removed', 'narrows', 'an anyOf branch was removed'],
  ['one-of-added', 'widens', 'a oneOf branch was added'],
  ['one-of-removed', 'narrows', 'a oneOf branch was removed'],
  ['default-value-changed', 'none', 'the default value changed'],
  ['default-value-added', 'none', 'a default value was added'],
  ['default-value-removed', 'none', 'the default value was removed'],
  ...Object.entries(BOUND_NAMES).flatMap(([keyword, name]): [string, Effect, string][] => {
    const upper = UPPER.includes(keyword as BoundKeyword);
    return [
      [`${name}-set`, 'narrows', `${keyword} was set where there was none`],
      [`${name}-unset`, 'widens', `${keyword} was removed`],
      [`${name}-${upper ? 'decreased' : 'increased'}`, 'narrows', `${keyword} was made tighter`],
      [`${name}-${upper ? 'increased' : 'decreased'}`, 'widens', `${keyword} was relaxed`],
    ];
  }),
];

function directionOf(prefix: SchemaPrefix): Direction {
  return prefix.startsWith('request') ? 'request' : 'response';
}

export function schemaRules(prefix: SchemaPrefix): RuleSpec[] {
  const direction = directionOf(prefix);
  return SCHEMA_CHANGES.map(([suffix, effect, description]) =>
    rule(`${prefix}-${suffix}`, levelOf(effect, direction), `${prefix.replace('-', ' ')}: ${description}`),
  );
}

/** Property presence and required-ness; the ids are oasdiff's. */
export const PROPERTY_RULES: Record<Direction, RuleSpec[]> = {
  request: [
    rule('request-property-removed', 'WARN', 'a request property was removed; clients still sending it may be refused'),
    rule('request-property-became-required', 'ERR', 'an optional request property became required'),
    rule('request-property-became-optional', 'INFO', 'a required request property became optional'),
    rule('new-required-request-property', 'ERR', 'a new request property is required'),
    rule('new-optional-request-property', 'INFO', 'a new optional request property was added'),
  ],
  response: [
    rule('response-required-property-removed', 'ERR', 'a required response property was removed'),
    // oasdiff rates this INFO; the design asks for the legacy field names, and generated clients read them.
    rule('response-optional-property-removed', 'ERR', 'an optional response property was removed'),
    rule('response-property-became-optional', 'ERR', 'a required response property became optional'),
    rule('response-property-became-required', 'INFO', 'an optional response property became required'),
    rule('response-required-property-added', 'INFO', 'a new required response property was added'),
    rule('response-optional-property-added', 'INFO', 'a new optional response property was added'),
  ],
};

import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/contract-diff/checks/index.js';
import { diffContracts } from '../../src/contract-diff/diff.js';
import { type Check, rule } from '../../src/contract-diff/rules.js';
import type { Finding, JsonObject } from '../../src/contract-diff/types.js';
import { json, object, openapi, postItems } from './openapi-fixtures.js';

const str = { type: 'string' };
const item = object({ id: str, name: str }, ['id', 'name']);

function diff(base: JsonObject, head: JsonObject): Finding[] {
  return diffContracts(base, head, { today: '2026-01-01' });
}

/** `LEVEL id` of each finding, the form the assertions read best in. */
function rules(findings: Finding[]): string[] {
  return findings.map((f) => `${f.level} ${f.id}`);
}

function errors(findings: Finding[]): Finding[] {
  return findings.filter((f) => f.level === 'ERR');
}

/** The request or response schema of `POST /items` changed from `before` to `after`. */
function requestChange(before: JsonObject, after: JsonObject): Finding[] {
  return diff(openapi(postItems(before, item)), openapi(postItems(after, item)));
}

function responseChange(before: JsonObject, after: JsonObject): Finding[] {
  return diff(openapi(postItems(item, before)), openapi(postItems(item, after)));
}

describe('identical documents', () => {
  it('report nothing', () => {
    expect(diff(openapi(postItems(item, item)), openapi(postItems(item, item)))).toEqual([]);
  });
});

describe('operations', () => {
  const two = openapi({
    ...postItems(item, item),
    '/items/{id}': {
      get: { responses: { '200': { description: 'ok', ...json(item) } } },
      delete: { responses: { '204': { description: 'gone' } } },
    },
  });

  it('an operation removed is an error, reported on that operation', () => {
    const head = structuredClone(two);
    delete (head.paths as { '/items/{id}': JsonObject })['/items/{id}'].delete;
    const findings = diff(two, head);
    expect(findings).toEqual([
      {
        id: 'api-removed-without-deprecation',
        level: 'ERR',
        method: 'DELETE',
        path: '/items/{id}',
        message: 'operation DELETE /items/{id} removed',
      },
    ]);
  });

  it('a path removed is an error for each of its operations', () => {
    const findings = diff(two, openapi(postItems(item, item)));
    expect(rules(findings)).toEqual([
      'ERR api-path-removed-without-deprecation',
      'ERR api-path-removed-without-deprecation',
    ]);
    expect(findings.map((f) => f.method).sort()).toEqual(['DELETE', 'GET']);
  });

  it('an operation added is compatible', () => {
    expect(rules(diff(openapi(postItems(item, item)), two))).toEqual(['INFO endpoint-added', 'INFO endpoint-added']);
  });

  it('a renamed path parameter is the same route', () => {
    const renamed = JSON.parse(JSON.stringify(two).replaceAll('{id}', '{item_id}'));
    expect(diff(two, renamed)).toEqual([]);
  });

  it('operationId and summary changes are informational', () => {
    const head = openapi(postItems(item, item, { operationId: 'makeItem', summary: 'Make an item' }));
    const base = openapi(postItems(item, item, { summary: 'Create Item' }));
    const findings = diff(base, head);
    expect(rules(findings)).toEqual(['INFO api-operation-id-removed', 'INFO api-summary-changed']);
    expect(findings[0]?.message).toBe("operation id 'createItem' removed and replaced with 'makeItem'");
  });
});

describe('response statuses', () => {
  const withStatuses = (statuses: string[]) =>
    openapi({
      '/items': {
        get: { responses: Object.fromEntries(statuses.map((s) => [s, { description: s, ...json(item) }])) },
      },
    });

  it('a success status removed is an error', () => {
    expect(rules(diff(withStatuses(['200', '404']), withStatuses(['404'])))).toEqual([
      'ERR response-success-status-removed',
    ]);
  });

  it('an error status removed, or any status added, is compatible', () => {
    expect(errors(diff(withStatuses(['200', '404']), withStatuses(['200'])))).toEqual([]);
    expect(rules(diff(withStatuses(['200']), withStatuses(['200', '204', '503'])))).toEqual([
      'INFO response-success-status-added',
      'INFO response-non-success-status-added',
    ]);
  });
});

describe('request parameters', () => {
  const withParams = (params: JsonObject[]) =>
    openapi({ '/items': { get: { parameters: params, responses: { '200': { description: 'ok' } } } } });
  const limit = (extra: JsonObject = {}, schema: JsonObject = { type: 'integer' }) => ({
    in: 'query',
    name: 'limit',
    schema,
    ...extra,
  });

  it('a parameter that became required is an error', () => {
    const findings = diff(withParams([limit()]), withParams([limit({ required: true })]));
    expect(findings).toEqual([
      expect.objectContaining({ id: 'request-parameter-became-required', level: 'ERR', method: 'GET', path: '/items' }),
    ]);
    expect(findings[0]?.message).toBe("query parameter 'limit' became required");
  });

  it('a new required parameter is an error; a new optional one is not', () => {
    expect(rules(diff(withParams([]), withParams([limit({ required: true })])))).toEqual([
      'ERR new-required-request-parameter',
    ]);
    expect(rules(diff(withParams([]), withParams([limit()])))).toEqual(['INFO new-optional-request-parameter']);
    expect(rules(diff(withParams([limit({ required: true })]), withParams([limit()])))).toEqual([
      'INFO request-parameter-became-optional',
    ]);
  });

  it('an enum value removed from a parameter is an error; one added is not', () => {
    const kinds = (values: string[]) => withParams([limit({}, { type: 'string', enum: values })]);
    expect(rules(diff(kinds(['a', 'b']), kinds(['a'])))).toEqual(['ERR request-parameter-enum-value-removed']);
    expect(rules(diff(kinds(['a']), kinds(['a', 'b'])))).toEqual(['INFO request-parameter-enum-value-added']);
  });

  it('a tighter minimum or maximum is an error; a looser one is not', () => {
    const bounded = (schema: JsonObject) => withParams([limit({}, { type: 'integer', ...schema })]);
    expect(rules(diff(bounded({ minimum: 1 }), bounded({ minimum: 5 })))).toEqual([
      'ERR request-parameter-min-increased',
    ]);
    expect(rules(diff(bounded({ maximum: 100 }), bounded({ maximum: 10 })))).toEqual([
      'ERR request-parameter-max-decreased',
    ]);
    expect(rules(diff(bounded({}), bounded({ maximum: 10 })))).toEqual(['ERR request-parameter-max-set']);
    expect(rules(diff(bounded({ minimum: 5, maximum: 10 }), bounded({ minimum: 1 })))).toEqual([
      'INFO request-parameter-max-unset',
      'INFO request-parameter-min-decreased',
    ]);
  });

  it('a type change is an error', () => {
    expect(rules(diff(withParams([limit()]), withParams([limit({}, str)])))).toEqual([
      'ERR request-parameter-type-changed',
    ]);
  });
});

describe('request body properties', () => {
  it('a property that became required is an error', () => {
    const findings = requestChange(object({ foo: str }), object({ foo: str }, ['foo']));
    expect(findings).toEqual([
      {
        id: 'request-property-became-required',
        level: 'ERR',
        method: 'POST',
        path: '/items',
        message: "request property 'foo' became required",
      },
    ]);
  });

  it('a new required property is an error; a new optional one, or one made optional, is not', () => {
    expect(rules(requestChange(object({}), object({ foo: str }, ['foo'])))).toEqual([
      'ERR new-required-request-property',
    ]);
    expect(rules(requestChange(object({}), object({ foo: str })))).toEqual(['INFO new-optional-request-property']);
    expect(rules(requestChange(object({ foo: str }, ['foo']), object({ foo: str })))).toEqual([
      'INFO request-property-became-optional',
    ]);
  });

  it('nested properties are named by their path', () => {
    const nested = (required: string[]) => object({ job: object({ kind: str }, required) });
    expect(requestChange(nested([]), nested(['kind']))[0]?.message).toBe("request property 'job/kind' became required");
  });

  it('an enum value removed is an error; one added is not', () => {
    const kind = (values: string[]) => object({ kind: { type: 'string', enum: values } });
    expect(rules(requestChange(kind(['new', 'continue']), kind(['new'])))).toEqual([
      'ERR request-property-enum-value-removed',
    ]);
    expect(requestChange(kind(['new', 'continue']), kind(['new']))[0]?.message).toBe(
      `request property 'kind' enum value "continue" removed`,
    );
    expect(rules(requestChange(kind(['new']), kind(['new', 'continue'])))).toEqual([
      'INFO request-property-enum-value-added',
    ]);
  });

  it('a type change is an error; widening integer to number is not', () => {
    expect(rules(requestChange(object({ n: str }), object({ n: { type: 'integer' } })))).toEqual([
      'ERR request-property-type-changed',
    ]);
    expect(rules(requestChange(object({ n: { type: 'integer' } }), object({ n: { type: 'number' } })))).toEqual([
      'INFO request-property-type-generalized',
    ]);
    expect(rules(requestChange(object({ n: { type: 'number' } }), object({ n: { type: 'integer' } })))).toEqual([
      'ERR request-property-type-specialized',
    ]);
  });

  it('tighter string constraints are errors; looser ones are not', () => {
    const name = (schema: JsonObject) => object({ name: { type: 'string', ...schema } });
    expect(rules(requestChange(name({ maxLength: 64 }), name({ maxLength: 32 })))).toEqual([
      'ERR request-property-max-length-decreased',
    ]);
    expect(rules(requestChange(name({ minLength: 1 }), name({ minLength: 3 })))).toEqual([
      'ERR request-property-min-length-increased',
    ]);
    expect(rules(requestChange(name({}), name({ pattern: '^[a-z]+$' })))).toEqual([
      'ERR request-property-pattern-added',
    ]);
    expect(rules(requestChange(name({ maxLength: 32 }), name({ maxLength: 64 })))).toEqual([
      'INFO request-property-max-length-increased',
    ]);
    expect(rules(requestChange(name({ pattern: '^[a-z]+$' }), name({})))).toEqual([
      'INFO request-property-pattern-removed',
    ]);
  });

  it('closing additionalProperties is an error; opening it is not', () => {
    const open = object({ foo: str });
    const closed = object({ foo: str }, [], { additionalProperties: false });
    expect(rules(requestChange(open, closed))).toEqual(['ERR request-body-additional-properties-closed']);
    expect(rules(requestChange(closed, open))).toEqual(['INFO request-body-additional-properties-opened']);
  });

  it('null no longer allowed is an error; the same nullability spelled differently is no change', () => {
    const anyOfNull = object({ dir: { anyOf: [str, { type: 'null' }], title: 'Dir' } });
    const typeNull = object({ dir: { type: ['string', 'null'] } });
    expect(requestChange(anyOfNull, typeNull)).toEqual([]);
    expect(rules(requestChange(anyOfNull, object({ dir: str })))).toEqual(['ERR request-property-became-not-nullable']);
  });
});

describe('response body properties (success statuses)', () => {
  it('a property removed is an error', () => {
    expect(rules(responseChange(item, object({ id: str }, ['id'])))).toEqual([
      'ERR response-required-property-removed',
    ]);
    expect(responseChange(item, object({ id: str }, ['id']))[0]?.message).toBe(
      "response property 'name' removed for status 200",
    );
  });

  it('a property made optional is an error', () => {
    expect(rules(responseChange(item, object({ id: str, name: str }, ['id'])))).toEqual([
      'ERR response-property-became-optional',
    ]);
  });

  it('new properties, and properties made required, are compatible', () => {
    const more = object({ id: str, name: str, size: { type: 'integer' } }, ['id', 'name']);
    expect(rules(responseChange(item, more))).toEqual(['INFO response-optional-property-added']);
    const optional = object({ id: str, name: str }, ['id']);
    expect(rules(responseChange(optional, item))).toEqual(['INFO response-property-became-required']);
  });

  it('an enum value added is an error (oasdiff: response-property-enum-value-added); one removed is not', () => {
    const state = (values: string[]) => object({ state: { type: 'string', enum: values } }, ['state']);
    expect(rules(responseChange(state(['queued']), state(['queued', 'cancelled'])))).toEqual([
      'ERR response-property-enum-value-added',
    ]);
    expect(rules(responseChange(state(['queued', 'cancelled']), state(['queued'])))).toEqual([
      'INFO response-property-enum-value-removed',
    ]);
  });

  it('a type change is an error, and so is widening a response type', () => {
    expect(rules(responseChange(object({ n: { type: 'integer' } }), object({ n: str })))).toEqual([
      'ERR response-property-type-changed',
    ]);
    expect(rules(responseChange(object({ n: { type: 'integer' } }), object({ n: { type: 'number' } })))).toEqual([
      'ERR response-property-type-generalized',
    ]);
  });

  it('non-success responses are not compared', () => {
    const errorBody = (schema: JsonObject) =>
      openapi({
        '/items': {
          get: {
            responses: { '200': { description: 'ok', ...json(item) }, '422': { description: 'bad', ...json(schema) } },
          },
        },
      });
    expect(diff(errorBody(item), errorBody(object({ error: str }, ['error'])))).toEqual([]);
  });

  it('a response media type removed is an error; replacing one that declared no schema is a warning', () => {
    const media = (content: JsonObject) =>
      openapi({ '/file': { get: { responses: { '200': { description: 'f', content } } } } });
    const text = { 'text/plain': { schema: str } };
    expect(rules(diff(media({ 'application/json': { schema: item } }), media(text)))).toEqual([
      'ERR response-media-type-removed',
      'INFO response-media-type-added',
    ]);
    expect(rules(diff(media({ 'application/json': { schema: {} } }), media(text)))).toEqual([
      'WARN response-media-type-name-changed',
      'INFO response-media-type-added',
    ]);
  });
});

describe('$ref', () => {
  const shared = (kind: JsonObject) => ({
    Kind: kind,
    Item: object({ id: str, kind: { $ref: '#/components/schemas/Kind' } }, ['id']),
  });
  const twoOps = {
    '/items': {
      post: { requestBody: json({ $ref: '#/components/schemas/Item' }), responses: { '200': { description: 'ok' } } },
      put: { requestBody: json({ $ref: '#/components/schemas/Item' }), responses: { '200': { description: 'ok' } } },
    },
  };

  it('a change inside a shared component is reported at every operation that uses it', () => {
    const findings = diff(
      openapi(twoOps, shared({ type: 'string', enum: ['a', 'b'] })),
      openapi(twoOps, shared({ type: 'string', enum: ['a'] })),
    );
    expect(findings.map((f) => `${f.level} ${f.id} ${f.method}`)).toEqual([
      'ERR request-property-enum-value-removed POST',
      'ERR request-property-enum-value-removed PUT',
    ]);
    expect(findings[0]?.message).toBe(`request property 'kind' enum value "b" removed`);
  });

  it('components are compared by structure, not by name', () => {
    const base = openapi(postItems({ $ref: '#/components/schemas/ItemRequest' }, item), { ItemRequest: item });
    const head = openapi(postItems({ $ref: '#/components/schemas/NewItem' }, item), { NewItem: item });
    expect(diff(base, head)).toEqual([]);
    const inline = openapi(postItems(item, item));
    expect(diff(base, inline)).toEqual([]);
  });

  it('recursive schemas terminate and still report changes inside them', () => {
    const tree = (name: JsonObject) => ({
      Node: object({ name, children: { type: 'array', items: { $ref: '#/components/schemas/Node' } } }),
    });
    const doc = (name: JsonObject) => openapi(postItems({ $ref: '#/components/schemas/Node' }, item), tree(name));
    expect(diff(doc(str), doc(str))).toEqual([]);
    expect(rules(diff(doc(str), doc({ type: 'string', maxLength: 10 })))).toEqual([
      'ERR request-property-max-length-set',
    ]);
  });
});

describe('the check list', () => {
  it('every check declares unique rule ids, each with a level', () => {
    const ids = CHECKS.flatMap((check) => check.rules.map((r) => r.id));
    for (const check of CHECKS) for (const r of check.rules) expect(['ERR', 'WARN', 'INFO']).toContain(r.level);
    for (const id of [
      'api-removed-without-deprecation',
      'response-success-status-removed',
      'request-property-became-required',
    ]) {
      expect(ids).toContain(id);
    }
  });

  it('gives checks the date and the retirement hook, and holds them to their declared rules', () => {
    const seen: string[] = [];
    const lifecycle: Check = {
      name: 'lifecycle probe',
      rules: [rule('endpoint-deprecated', 'INFO', 'probe')],
      run(ctx, report) {
        for (const op of ctx.removed)
          seen.push(`${ctx.today} ${op.method} ${op.path} retired=${ctx.isRetired(op.method, op.path)}`);
        for (const pair of ctx.matched) report('endpoint-deprecated', pair, 'probe');
      },
    };
    const base = openapi({
      ...postItems(item, item),
      '/old': { get: { responses: { '200': { description: 'ok' } } } },
    });
    const findings = diffContracts(base, openapi(postItems(item, item)), {
      today: '2026-03-01',
      isRetired: (method, path) => method === 'GET' && path === '/old',
      checks: [lifecycle],
    });
    expect(seen).toEqual(['2026-03-01 GET /old retired=true']);
    expect(rules(findings)).toEqual(['INFO endpoint-deprecated']);

    const undeclared: Check = { ...lifecycle, rules: [] };
    expect(() => diffContracts(base, base, { checks: [undeclared] })).toThrow(/undeclared rule 'endpoint-deprecated'/);
  });
});

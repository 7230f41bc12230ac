import { describe, expect, it } from 'vitest';
import { createResponseValidator, type OpenApiDocument } from '../../contract-tests/validate.js';
import { buildDocument } from '../../src/contract/document.js';

/** A document written by hand, with the shapes generated documents do not use: response refs, ranges, default. */
const HAND_WRITTEN: OpenApiDocument = {
  openapi: '3.1.0',
  paths: {
    '/things/{id}': {
      get: {
        responses: {
          '200': {
            description: 'a thing',
            headers: { 'X-Version': { required: true, schema: { type: 'string' } } },
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/Thing' } },
              'text/*': { schema: { type: 'string', example: 'thing' } },
            },
          },
          '4XX': { $ref: '#/components/responses/Problem' },
          default: { description: 'anything else', content: { '*/*': {} } },
        },
      },
      delete: { responses: { '204': { description: 'gone' } } },
    },
  },
  components: {
    schemas: {
      Thing: {
        type: 'object',
        properties: { id: { type: 'integer', example: 1 }, at: { type: 'string', format: 'date-time' } },
        required: ['id'],
        additionalProperties: false,
        'x-internal': true,
      },
      Problem: { type: 'object', properties: { title: { type: 'string' } }, required: ['title'] },
    },
    responses: {
      Problem: {
        description: 'a problem',
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      },
    },
  },
};

describe('createResponseValidator', () => {
  const hand = createResponseValidator(HAND_WRITTEN);

  it('accepts a conforming answer and names each violation of a broken one', () => {
    const headers = { 'x-version': '3' };
    expect(hand.validate('GET', '/things/{id}', 200, 'application/json; charset=utf-8', { id: 1 }, headers)).toEqual({
      ok: true,
      errors: [],
    });
    const broken = hand.validate('get', '/things/{id}', 200, 'application/json', { id: 'one', at: 'noon', more: 1 });
    expect(broken.ok).toBe(false);
    expect(broken.errors).toEqual(
      expect.arrayContaining([
        "body: unexpected field 'more'",
        'body/id: must be integer',
        'body/at: must match format "date-time"',
      ]),
    );
  });

  it('checks required headers only when given the headers', () => {
    expect(hand.validate('get', '/things/{id}', 200, 'application/json', { id: 1 }, new Headers()).errors).toEqual([
      'missing required header X-Version',
    ]);
    expect(hand.validate('get', '/things/{id}', 200, 'application/json', { id: 1 }).ok).toBe(true);
  });

  it('matches media ranges, status ranges, referenced responses and default', () => {
    expect(hand.validate('get', '/things/{id}', 200, 'text/plain', 'thing').ok).toBe(true);
    expect(hand.validate('get', '/things/{id}', 404, 'application/problem+json', { title: 'no' }).ok).toBe(true);
    expect(hand.validate('get', '/things/{id}', 404, 'application/problem+json', {}).errors).toEqual([
      "body: must have required property 'title'",
    ]);
    expect(hand.validate('get', '/things/{id}', 500, 'image/png', 'bytes').ok).toBe(true);
  });

  it('refuses a body where none is declared, and a status that is not declared', () => {
    expect(hand.validate('delete', '/things/{id}', 204, null, undefined).ok).toBe(true);
    expect(hand.validate('delete', '/things/{id}', 204, 'application/json', { id: 1 }).errors).toEqual([
      'status 204 of DELETE /things/{id} declares no body, but one was sent',
    ]);
    expect(hand.validate('delete', '/things/{id}', 200, 'application/json', {}).errors).toEqual([
      'status 200 is not declared for DELETE /things/{id} (declared: 204)',
    ]);
    expect(hand.validate('put', '/things/{id}', 200, null, undefined).errors).toEqual([
      'PUT /things/{id} is not an operation of the contract',
    ]);
  });

  it('parses raw text of JSON media types, and says when it is not JSON', () => {
    expect(hand.validateText('get', '/things/{id}', 200, 'application/json', '{"id": 2}').ok).toBe(true);
    expect(hand.validateText('get', '/things/{id}', 200, 'application/json', '<html>').errors).toEqual([
      'body is declared application/json but is not JSON: <html>',
    ]);
  });

  it('validates component schemas by name', () => {
    expect(hand.validateComponent('Thing', { id: 3 }).ok).toBe(true);
    expect(hand.validateComponent('Nothing', {}).errors).toEqual(["no schema 'Nothing' in components.schemas"]);
  });

  it('compiles the gateway contract and holds its answers to it', () => {
    const contract = createResponseValidator(buildDocument());
    const file = ['get', '/api/zpe/jobs/{job_id}/files', 200] as const;
    expect(
      contract.validate(...file, 'text/csv; charset=utf-8', 'a,b\n', { 'content-disposition': 'attachment' }).ok,
    ).toBe(true);
    expect(contract.validate(...file, 'application/json', {}).ok).toBe(false);
    expect(contract.validate('post', '/api/zpe/compute/jobs/lease', 204, null, '').ok).toBe(true);
    const noDetails = { error: { code: 'validation_error', message: 'bad' } };
    expect(contract.validate('post', '/api/zpe/jobs', 422, 'application/json', noDetails).errors).toEqual([
      "body/error: must have required property 'details'",
    ]);
    expect(contract.hasOperation('PATCH', '/api/zpe/admin/ops')).toBe(true);
  });
});

import type { JsonObject, JsonValue } from '../../src/contract-diff/types.js';

/** A minimal OpenAPI 3.1 document around the given paths and component schemas. */
export function openapi(paths: JsonObject, schemas: JsonObject = {}): JsonObject {
  return { openapi: '3.1.0', info: { title: 'fixture', version: '1' }, paths, components: { schemas } };
}

export function json(schema: JsonValue): JsonObject {
  return { content: { 'application/json': { schema } } };
}

/** `POST /items` taking `request` and answering 200 with `response`, plus a 422. */
export function postItems(request: JsonValue, response: JsonValue, extra: JsonObject = {}): JsonObject {
  return {
    '/items': {
      post: {
        operationId: 'createItem',
        requestBody: { required: true, ...json(request) },
        responses: {
          '200': { description: 'ok', ...json(response) },
          '422': { description: 'invalid', ...json({ type: 'object', properties: { detail: { type: 'string' } } }) },
        },
        ...extra,
      },
    },
  };
}

export function object(properties: JsonObject, required: string[] = [], extra: JsonObject = {}): JsonObject {
  return { type: 'object', properties, required, ...extra };
}

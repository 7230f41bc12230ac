/**
 * Response validation against an OpenAPI 3.1 document: is the status declared for the operation,
 * is the content type one it declares, does the body match that media type's schema.
 *
 * Deliberately free of Node-only imports so the gateway can reuse it (ajv compiles with
 * `new Function`, so a runtime that forbids code generation needs ajv's standalone mode instead).
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import ajvFormats, { type FormatsPlugin } from 'ajv-formats';

export interface ValidationOutcome {
  ok: boolean;
  errors: string[];
}

/** Response headers, as a Fetch `Headers` or a plain record (names in any case). */
export type HeaderSource = Headers | Record<string, string | undefined>;

export interface ResponseValidator {
  /**
   * Checks one response of `method pathTemplate` (the template as written in the document, e.g.
   * `/api/zpe/jobs/{job_id}`). `body` is the parsed value for JSON media types, the text for any
   * other, and undefined or '' when there is none. With `headers`, required response headers are checked too.
   */
  validate(
    method: string,
    pathTemplate: string,
    status: number,
    contentType: string | null | undefined,
    body: unknown,
    headers?: HeaderSource,
  ): ValidationOutcome;
  /** As `validate`, from the raw body text: JSON media types are parsed first (a parse failure is an error). */
  validateText(
    method: string,
    pathTemplate: string,
    status: number,
    contentType: string | null | undefined,
    text: string,
    headers?: HeaderSource,
  ): ValidationOutcome;
  /** Checks a value against a schema of `components.schemas`, for answers outside any operation (e.g. a 404 route). */
  validateComponent(name: string, value: unknown): ValidationOutcome;
  /** Whether the document has this operation. */
  hasOperation(method: string, pathTemplate: string): boolean;
}

type JsonObject = { [key: string]: unknown };

/** The parts of an OpenAPI document the validator reads. */
export interface OpenApiDocument {
  paths?: { [path: string]: unknown };
  components?: { schemas?: { [name: string]: unknown }; [section: string]: unknown };
  [key: string]: unknown;
}

interface CompiledResponse {
  /** Media type (lowercase) → validator; null when the media type declares no schema. */
  media: Map<string, ValidateFunction | null>;
  requiredHeaders: string[];
}

interface CompiledOperation {
  /** Status key as written (`200`, `2XX`, `default`) → response. */
  responses: Map<string, CompiledResponse>;
}

const CONTRACT_ID = 'https://zpe-gateway.invalid/contract.json';
const SCHEMAS_POINTER = '#/components/schemas/';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** OpenAPI annotations that are not JSON Schema keywords; dropped so ajv can stay strict about the rest. */
const ANNOTATIONS = new Set(['example', 'xml', 'externalDocs', 'discriminator']);
/** Keywords whose value is a map of name → schema. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);
/** Keywords whose value is a schema or a list of schemas. */
const SCHEMA_VALUES = new Set([
  'items',
  'prefixItems',
  'additionalProperties',
  'unevaluatedProperties',
  'unevaluatedItems',
  'contains',
  'propertyNames',
  'not',
  'if',
  'then',
  'else',
  'allOf',
  'anyOf',
  'oneOf',
]);

// ajv-formats is CommonJS: depending on the loader its default import is the plugin or its module object.
const addFormats = ((ajvFormats as unknown as { default?: FormatsPlugin }).default ?? ajvFormats) as FormatsPlugin;

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A schema ajv can compile: component refs pointed at the registered components, annotations dropped. */
function prepareSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(prepareSchema);
  if (!isObject(schema)) return schema;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (ANNOTATIONS.has(key) || key.startsWith('x-')) continue;
    if (key === '$ref' && typeof value === 'string') {
      if (!value.startsWith(SCHEMAS_POINTER)) throw new Error(`unsupported $ref '${value}': only ${SCHEMAS_POINTER}*`);
      out.$ref = `${CONTRACT_ID}#/$defs/${value.slice(SCHEMAS_POINTER.length)}`;
    } else if (SCHEMA_MAPS.has(key) && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, prepareSchema(sub)]));
    } else if (SCHEMA_VALUES.has(key)) {
      out[key] = prepareSchema(value);
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** Follows a local `$ref` (`#/components/responses/X`) to the object it names. */
function resolveLocal(document: OpenApiDocument, value: unknown, seen = 0): unknown {
  if (!isObject(value) || typeof value.$ref !== 'string') return value;
  if (seen > 16 || !value.$ref.startsWith('#/')) throw new Error(`cannot resolve $ref '${String(value.$ref)}'`);
  let target: unknown = document;
  for (const raw of value.$ref.slice(2).split('/')) {
    const part = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    target = isObject(target) ? target[part] : undefined;
  }
  if (target === undefined) throw new Error(`dangling $ref '${value.$ref}'`);
  return resolveLocal(document, target, seen + 1);
}

function mediaTypeOf(contentType: string | null | undefined): string | undefined {
  const media = contentType?.split(';')[0]?.trim().toLowerCase();
  return media ? media : undefined;
}

function isJsonMedia(media: string): boolean {
  return media === 'application/json' || media.endsWith('+json');
}

function describe(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const where = `body${e.instancePath}`;
    const extra = isObject(e.params) && typeof e.params.additionalProperty === 'string';
    return extra ? `${where}: unexpected field '${String(e.params.additionalProperty)}'` : `${where}: ${e.message}`;
  });
}

function headerValue(headers: HeaderSource, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

function isEmptyBody(body: unknown): boolean {
  return body === undefined || body === null || body === '';
}

/** Compiles every response schema of the document once; validation afterwards is lookups and calls. */
export function createResponseValidator(document: OpenApiDocument): ResponseValidator {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictTuples: false, allowUnionTypes: true });
  addFormats(ajv);
  const components = document.components?.schemas ?? {};
  const defs = Object.fromEntries(Object.entries(components).map(([name, s]) => [name, prepareSchema(s)]));
  ajv.addSchema({ $id: CONTRACT_ID, $defs: defs });

  const compiled = new Map<string, ValidateFunction>();
  const compile = (schema: unknown): ValidateFunction => {
    const prepared = prepareSchema(schema);
    const key = JSON.stringify(prepared);
    let fn = compiled.get(key);
    if (!fn) {
      fn = ajv.compile(prepared as JsonObject);
      compiled.set(key, fn);
    }
    return fn;
  };

  const operations = new Map<string, CompiledOperation>();
  for (const [path, rawItem] of Object.entries(document.paths ?? {})) {
    const item = resolveLocal(document, rawItem);
    if (!isObject(item)) continue;
    for (const method of METHODS) {
      const op = item[method];
      if (!isObject(op)) continue;
      const responses = new Map<string, CompiledResponse>();
      for (const [status, rawResponse] of Object.entries(isObject(op.responses) ? op.responses : {})) {
        const response = resolveLocal(document, rawResponse);
        if (!isObject(response)) continue;
        const media = new Map<string, ValidateFunction | null>();
        for (const [type, entry] of Object.entries(isObject(response.content) ? response.content : {})) {
          const schema = isObject(entry) ? entry.schema : undefined;
          media.set(type.toLowerCase(), schema === undefined ? null : compile(schema));
        }
        const requiredHeaders = Object.entries(isObject(response.headers) ? response.headers : {})
          .filter(([, h]) => {
            const header = resolveLocal(document, h);
            return isObject(header) && header.required === true;
          })
          .map(([name]) => name);
        responses.set(status.toUpperCase(), { media, requiredHeaders });
      }
      operations.set(`${method} ${path}`, { responses });
    }
  }

  function responseFor(op: CompiledOperation, status: number): CompiledResponse | undefined {
    return (
      op.responses.get(String(status)) ??
      op.responses.get(`${String(status).charAt(0)}XX`) ??
      op.responses.get('DEFAULT')
    );
  }

  function matchMedia(response: CompiledResponse, media: string): ValidateFunction | null | undefined {
    if (response.media.has(media)) return response.media.get(media);
    const range = `${media.split('/')[0]}/*`;
    if (response.media.has(range)) return response.media.get(range);
    return response.media.get('*/*');
  }

  function validate(
    method: string,
    pathTemplate: string,
    status: number,
    contentType: string | null | undefined,
    body: unknown,
    headers?: HeaderSource,
  ): ValidationOutcome {
    const label = `${method.toUpperCase()} ${pathTemplate}`;
    const op = operations.get(`${method.toLowerCase()} ${pathTemplate}`);
    if (!op) return { ok: false, errors: [`${label} is not an operation of the contract`] };
    const response = responseFor(op, status);
    if (!response) {
      const declared = [...op.responses.keys()].join(', ');
      return { ok: false, errors: [`status ${status} is not declared for ${label} (declared: ${declared})`] };
    }
    const errors: string[] = [];
    if (headers) {
      for (const name of response.requiredHeaders) {
        if (headerValue(headers, name) === undefined) errors.push(`missing required header ${name}`);
      }
    }
    if (response.media.size === 0) {
      if (!isEmptyBody(body)) errors.push(`status ${status} of ${label} declares no body, but one was sent`);
      return { ok: errors.length === 0, errors };
    }
    const media = mediaTypeOf(contentType);
    if (!media) return { ok: false, errors: [...errors, `status ${status} of ${label} needs a content type`] };
    const schema = matchMedia(response, media);
    if (schema === undefined) {
      const declared = [...response.media.keys()].join(', ');
      errors.push(`content type ${media} is not declared for status ${status} of ${label} (declared: ${declared})`);
    } else if (schema !== null && !schema(body)) {
      errors.push(...describe(schema.errors));
    }
    return { ok: errors.length === 0, errors };
  }

  return {
    validate,
    validateText(method, pathTemplate, status, contentType, text, headers) {
      const media = mediaTypeOf(contentType);
      if (media && isJsonMedia(media) && text !== '') {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          return { ok: false, errors: [`body is declared ${media} but is not JSON: ${text.slice(0, 80)}`] };
        }
        return validate(method, pathTemplate, status, contentType, parsed, headers);
      }
      return validate(method, pathTemplate, status, contentType, text, headers);
    },
    validateComponent(name, value) {
      if (!Object.hasOwn(components, name)) return { ok: false, errors: [`no schema '${name}' in components.schemas`] };
      const fn = compile({ $ref: `${SCHEMAS_POINTER}${name}` });
      return fn(value) ? { ok: true, errors: [] } : { ok: false, errors: describe(fn.errors) };
    },
    hasOperation(method, pathTemplate) {
      return operations.has(`${method.toLowerCase()} ${pathTemplate}`);
    },
  };
}

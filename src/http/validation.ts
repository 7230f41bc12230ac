import type { Context } from 'hono';
import type { z } from 'zod';
import type { Operation } from '../contract/operations.js';
import type { FieldError } from '../contract/schemas/errors.js';
import { ApiError } from './errors.js';
import { decodeBodyBytes, isJsonContentType, parseJsonText } from './json-body.js';
import { compileModel, ErrorSink, INVALID, missing, objectShape } from './lax-validation.js';

/**
 * Step 0 of every operation, before identity and flags: the request checked against the contract as
 * the legacy (FastAPI, pydantic 2) checks it, answering 422 `validation error` with its `details`
 * entries (`{type, loc, msg, input, ctx?}`): query errors first, then the body's, each in field order.
 * - No body (or JSON `null`): `missing` at `["body"]`.
 * - A body sent with a Content-Type that is not JSON: `model_attributes_type`, the raw text as input.
 * - Not JSON: `json_invalid` at `["body", offset]` with Python's message in `ctx.error`, alone.
 * - Bytes that are not text: 400 "There was an error parsing the body" (FastAPI's words).
 * - Nesting deeper than the bound: 400, checked without recursion before anything is built.
 * Unknown query parameters are ignored, as FastAPI ignores them; of a repeated one the last counts.
 */

export interface ValidatedRequest {
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
  /** The validated body as JSON text made from the text received, when validation only kept or added members (validatedText). */
  bodyText?: string;
}

/**
 * Whether validation left the parsed body as it was: the same keys in the same order and the same
 * values. Then forwarding the text received costs nothing and says the same as re-serialising it.
 * Recursive: validation already bounded the nesting.
 */
function unchanged(sent: unknown, validated: unknown): boolean {
  if (sent === validated) return true;
  if (typeof sent !== 'object' || typeof validated !== 'object' || sent === null || validated === null) return false;
  if (Array.isArray(sent)) {
    if (!Array.isArray(validated) || sent.length !== validated.length) return false;
    return sent.every((item, i) => unchanged(item, validated[i]));
  }
  if (Array.isArray(validated)) return false;
  const keys = Object.keys(sent);
  const validatedKeys = Object.keys(validated);
  if (keys.length !== validatedKeys.length) return false;
  return keys.every(
    (key, i) =>
      key === validatedKeys[i] &&
      unchanged((sent as Record<string, unknown>)[key], (validated as Record<string, unknown>)[key]),
  );
}

export const DEFAULT_MAX_JSON_DEPTH = 64;

/** FastAPI's answer when the body cannot be read as text (Python's UnicodeDecodeError). */
export const UNREADABLE_BODY = 'There was an error parsing the body';

function jsonBodySchema(operation: Operation): { schema: z.core.$ZodType; required: boolean } | undefined {
  const body = operation.request?.body;
  const media = body?.content?.['application/json'] as { schema?: z.core.$ZodType } | undefined;
  return media?.schema ? { schema: media.schema, required: body?.required ?? false } : undefined;
}

/** Read the body as the legacy does: undefined when there is none, else its JSON value or the raw text. */
async function readBody(
  c: Context,
  maxDepth: number,
): Promise<{ json: unknown; text?: string } | { raw: string } | undefined> {
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.length === 0) return undefined;
  if (!isJsonContentType(c.req.header('content-type'))) return { raw: new TextDecoder().decode(bytes) };
  const text = decodeBodyBytes(bytes);
  if (text === undefined) throw new ApiError(400, UNREADABLE_BODY);
  const parsed = parseJsonText(text, maxDepth);
  if (parsed.ok) return parsed.standard ? { json: parsed.value, text } : { json: parsed.value };
  if (parsed.kind === 'depth') {
    throw new ApiError(400, `request body nests deeper than ${maxDepth} levels (at character ${parsed.position})`);
  }
  const error: FieldError = {
    type: 'json_invalid',
    loc: ['body', parsed.position],
    msg: 'JSON decode error',
    input: {},
    ctx: { error: parsed.message },
  };
  throw validationError([error]);
}

export function validationError(details: FieldError[]): ApiError {
  return new ApiError(422, 'validation error', details);
}

/** The last value of each parameter, as Starlette's QueryParams reads a scalar. */
function lastValues(url: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of new URL(url).searchParams) out.set(key, value);
  return out;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The validated body as JSON text made from the text received: that text when validation changed
 * nothing, or that text with the defaults validation filled in at the top level appended; undefined
 * when it changed more (then the body is serialised).
 */
function validatedText(text: string, sent: unknown, validated: unknown): string | undefined {
  if (unchanged(sent, validated)) return text;
  if (!isObject(sent) || !isObject(validated)) return undefined;
  const keys = Object.keys(sent);
  for (const key of keys) {
    if (!Object.hasOwn(validated, key) || !unchanged(sent[key], validated[key])) return undefined;
  }
  const added: string[] = [];
  for (const key of Object.keys(validated)) {
    if (!Object.hasOwn(sent, key)) added.push(`${JSON.stringify(key)}:${JSON.stringify(validated[key])}`);
  }
  // The same members in another order: the text says the same object.
  if (added.length === 0) return text;
  // The top-level value is an object: its closing brace is the text's last one (only whitespace follows).
  const end = text.lastIndexOf('}');
  return `${text.slice(0, end)}${keys.length > 0 ? ',' : ''}${added.join(',')}}`;
}

/** The validator of one operation's request, compiled once. */
export function requestValidator(operation: Operation, maxDepth = DEFAULT_MAX_JSON_DEPTH) {
  const parts = operation.request ?? {};
  const query = parts.query ? objectShape(parts.query as unknown as z.core.$ZodType) : undefined;
  const paramNames = parts.params
    ? objectShape(parts.params as unknown as z.core.$ZodType).fields.map(([name]) => name)
    : [];
  const body = jsonBodySchema(operation);
  const model = body ? compileModel(body.schema) : undefined;

  type Read = Awaited<ReturnType<typeof readBody>>;
  const validated = (c: Context, read: Read): ValidatedRequest => {
    const params: Record<string, string> = {};
    for (const name of paramNames) params[name] = c.req.param(name) ?? '';

    const sink = new ErrorSink();
    const values: Record<string, unknown> = {};
    if (query) {
      const given = lastValues(c.req.url);
      for (const [key, field] of query.fields) {
        const value = given.get(key);
        if (value !== undefined) {
          const v = field.validate(value, ['query', key], sink);
          if (v !== INVALID) values[key] = v;
        } else if (field.defaultValue) values[key] = field.defaultValue();
        else if (!field.optional) missing(sink, ['query', key], null);
      }
    }
    let validBody: unknown;
    let bodyText: string | undefined;
    if (model && body) {
      if (read === undefined || ('json' in read && read.json === null)) {
        if (body.required) missing(sink, ['body'], null);
      } else {
        const input = 'json' in read ? read.json : read.raw;
        const v = model(input, ['body'], sink);
        if (v !== INVALID) {
          validBody = v;
          if ('text' in read && read.text !== undefined) bodyText = validatedText(read.text, read.json, v);
        }
      }
    }
    if (sink.errors.length > 0) throw validationError(sink.errors);
    return bodyText === undefined
      ? { params, query: values, body: validBody }
      : { params, query: values, body: validBody, bodyText };
  };
  // Without a body to read, the request is checked at once: no promise on the way of a read.
  return (c: Context): ValidatedRequest | Promise<ValidatedRequest> =>
    model ? readBody(c, maxDepth).then((read) => validated(c, read)) : validated(c, undefined);
}

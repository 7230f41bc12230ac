import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ZodObject, ZodType } from 'zod';
import { OPERATIONS, type Operation, operationId } from '../../src/contract/operations.js';
import { ERROR_CODES } from '../../src/contract/schemas/errors.js';
import { type NextgenStandin, startNextgenStandin } from '../fixtures/nextgen-standin.js';
import { requestInit, SAMPLE_REQUESTS } from '../routing/requests.js';
import { type RunningGateway, startGateway } from '../support/gateway.js';
import { type PrivateRedis, startRedis } from '../support/redis-server.js';

/**
 * Every operation of the contract, fed inputs derived from the contract itself (each body field of
 * the wrong type, missing required fields, unknown fields, malformed JSON, wrong media type,
 * oversized bodies, hostile path and query values, and seeded random JSON): the answer is always a
 * status the operation declares, in the error envelope, and never a 500.
 */

let redis: PrivateRedis;
let nextgen: NextgenStandin;
let gateway: RunningGateway;

beforeAll(async () => {
  redis = await startRedis();
  nextgen = await startNextgenStandin();
  // The built-in legacy backend serves everything; next-gen only the stateless parse.
  gateway = await startGateway({
    ZPE_REDIS_URL: redis.url,
    ZPE_NEXTGEN_URL: nextgen.origin,
    ZPE_MAX_BODY_BYTES: '8192',
  });
});

afterAll(async () => {
  await gateway?.close();
  await nextgen?.close();
  await redis?.stop();
});

/** A small deterministic PRNG, so a failure can be replayed. */
function prng(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    return state / 2 ** 32;
  };
}

function randomJson(random: () => number, depth = 0): unknown {
  const pick = Math.floor(random() * (depth > 2 ? 5 : 7));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return random() < 0.5;
    case 2:
      return [0, -1, 1e308, 2 ** 53 + 1, 0.5, -0][Math.floor(random() * 6)];
    case 3:
      return ['', 'x'.repeat(300), '\u0000', '💥', '../../etc', '{"a":1}'][Math.floor(random() * 6)];
    case 4:
      return 'http-0123456789abcdef0123456789abcdef';
    case 5:
      return Array.from({ length: Math.floor(random() * 4) }, () => randomJson(random, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: Math.floor(random() * 4) }, (_, i) => [`k${i}`, randomJson(random, depth + 1)]),
      );
  }
}

function bodySchema(op: Operation): ZodObject | undefined {
  const media = op.request?.body?.content?.['application/json'] as { schema?: ZodType } | undefined;
  const schema = media?.schema;
  return schema && 'shape' in schema ? (schema as ZodObject) : undefined;
}

/** A value of another JSON type than the field's valid sample value. */
function wrongType(valid: unknown): unknown {
  if (typeof valid === 'string') return 12345;
  if (typeof valid === 'number') return 'not a number';
  if (typeof valid === 'boolean') return 'yes';
  if (Array.isArray(valid)) return { not: 'an array' };
  return ['not', 'an', 'object'];
}

interface BadRequest {
  label: string;
  path: string;
  init: RequestInit & { admin?: boolean; user?: string; json?: unknown };
}

function badRequests(op: Operation): BadRequest[] {
  const sample = SAMPLE_REQUESTS[operationId(op)];
  const base = requestInit(sample);
  const out: BadRequest[] = [];
  const schema = bodySchema(op);
  if (schema) {
    const valid = (sample.json ?? {}) as Record<string, unknown>;
    const raw = (body: string, contentType = 'application/json'): BadRequest['init'] => ({
      ...base,
      json: undefined,
      body,
      headers: { ...(base.headers as Record<string, string>), 'content-type': contentType },
    });
    out.push({ label: 'malformed JSON', path: sample.path, init: raw('{"content": ') });
    out.push({ label: 'empty body', path: sample.path, init: raw('') });
    out.push({ label: 'JSON array', path: sample.path, init: raw('[1,2]') });
    out.push({ label: 'text/plain body', path: sample.path, init: raw('hello', 'text/plain') });
    out.push({
      label: 'oversized body',
      path: sample.path,
      init: raw(JSON.stringify({ content: 'x'.repeat(20_000) })),
    });
    out.push({ label: 'unknown field', path: sample.path, init: { ...base, json: { ...valid, surprise: 1 } } });
    out.push({ label: 'nothing at all', path: sample.path, init: { ...base, json: {} } });
    for (const field of Object.keys(schema.shape)) {
      const value = field in valid ? valid[field] : 'x';
      out.push({
        label: `${field} of the wrong type`,
        path: sample.path,
        init: { ...base, json: { ...valid, [field]: wrongType(value) } },
      });
    }
    const random = prng(operationId(op).length * 7919);
    for (let i = 0; i < 20; i++) {
      out.push({ label: `random JSON #${i}`, path: sample.path, init: { ...base, json: randomJson(random) } });
    }
  }
  for (const param of op.path.match(/\{(\w+)\}/g) ?? []) {
    for (const hostile of ['%2e%2e%2f%2e%2e', 'x'.repeat(5000), '%F0%9F%92%A5', '%00', 'http-ZZZ', '%25']) {
      const path = op.path.replace(param, hostile).replace(/\{(\w+)\}/g, 'x');
      const query = sample.path.includes('?') ? sample.path.slice(sample.path.indexOf('?')) : '';
      out.push({ label: `${param} = ${hostile.slice(0, 20)}`, path: path + query, init: base });
    }
  }
  if (op.request?.query) {
    for (const query of ['limit=0', 'limit=abc', 'offset=-1', 'limit=1.5', 'kind=zzz', 'kind=', 'extra=1']) {
      out.push({ label: `query ${query}`, path: `${sample.path.split('?')[0]}?${query}`, init: base });
    }
  }
  out.push({
    label: 'no credentials',
    path: sample.path,
    init: { ...base, admin: false, user: undefined, headers: {} },
  });
  out.push({
    label: 'garbage credentials',
    path: sample.path,
    init: { ...base, admin: false, user: undefined, headers: { authorization: 'Bearer \u00e9\u00e9 nonsense' } },
  });
  return out;
}

describe('bad input on every operation', () => {
  it.each(OPERATIONS.map((op) => [operationId(op), op] as const))('%s', async (_, op) => {
    const declared = Object.keys(op.responses).map(Number);
    for (const bad of badRequests(op)) {
      const response = await gateway.fetch(bad.path, bad.init);
      const text = await response.text();
      const label = `${operationId(op)}: ${bad.label} -> ${response.status} ${text.slice(0, 200)}`;
      expect(response.status, label).not.toBe(500);
      if (response.status === 404 && !op.path.includes('{')) continue;
      if (response.status < 400) continue;
      // An unknown route (a hostile path that no longer matches) answers the envelope too.
      if (response.status !== 404) expect(declared, label).toContain(response.status);
      const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
      expect(body.error?.code, label).toBe(ERROR_CODES[response.status as keyof typeof ERROR_CODES]);
      expect(typeof body.error?.message, label).toBe('string');
      if (response.status === 422) {
        // The legacy's (pydantic's) entries, whatever the input: type, loc, msg, input (ctx when it has parameters).
        const details = (body.error as { details?: Record<string, unknown>[] }).details ?? [];
        expect(details.length, label).toBeGreaterThan(0);
        for (const entry of details)
          expect(Object.keys(entry).slice(0, 4), label).toEqual(['type', 'loc', 'msg', 'input']);
      }
      expect(text, label).not.toMatch(/at .+\.(ts|js):\d+/);
      expect(response.headers.get('x-zpe-backend'), label).toBeTruthy();
      expect(response.headers.get('x-zpe-flags-version'), label).toMatch(/^[0-9a-f]{8}$/);
    }
  });
});

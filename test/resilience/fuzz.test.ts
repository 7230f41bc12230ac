import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { OPERATIONS, type Operation, operationById, operationId } from '../../src/contract/operations.js';
import { type RunningGateway, startGateway, TEST_ADMIN_TOKEN } from '../support/gateway.js';
import { SMALL_INPUT, snapshot } from '../support/legacy-fixture.js';
import { type PrivateRedis, startRedis } from '../support/redis-server.js';
import { arbitraryOf, type JsonSchema } from './schema-arbitrary.js';

/**
 * Contract-driven fuzzing of all 15 operations: requests generated from the contract's own schemas
 * (src/contract, through z.toJSONSchema), plus hostile variants (huge strings, deep nesting, lone
 * surrogates, NUL, `__proto__` keys, wrong content types, bodies at and just over the size limit,
 * encoded path traversal), against the gateway as `npm start` composes it on a real Redis. Never a
 * 500, never an answer outside the envelope, never a hang, and Redis unchanged by every refused
 * request. Seeded: RESILIENCE_SEED replays a run; the seed is printed with any failure.
 */

// A fixed default seed; RESILIENCE_SEED replays or explores another run.
const SEED = Number(process.env.RESILIENCE_SEED ?? 851549152);
const RUNS = Number(process.env.RESILIENCE_FUZZ_RUNS ?? 450);
const MAX_BODY = 65_536;
const ANSWER_WITHIN_MS = 5_000;

let redis: PrivateRedis;
let gateway: RunningGateway;
let raw: ReturnType<PrivateRedis['client']>;
let workerToken: string;
let jobId: string;

const toJsonSchema = (schema: unknown): JsonSchema =>
  z.toJSONSchema(schema as z.ZodType, { io: 'input', unrepresentable: 'any' }) as JsonSchema;

function bodySchema(operation: Operation): JsonSchema | undefined {
  const content = operation.request?.body?.content as Record<string, { schema?: unknown }> | undefined;
  const schema = content?.['application/json']?.schema;
  return schema ? toJsonSchema(schema) : undefined;
}

const ENCODED_IDS = [
  '..%2F..%2Fadmin%2Fops',
  '%2e%2e%2f%2e%2e%2f',
  '..%252F..%252F',
  '%00',
  '%C0%AE%C0%AE%2F',
  '%F0%9F%92%A5',
  '%ED%A0%80',
  '%ZZ',
  'x'.repeat(3000),
  '__proto__',
];

function deep(levels: number): string {
  return `${'['.repeat(levels)}${']'.repeat(levels)}`;
}

type BodyVariant =
  | { kind: 'json'; value: unknown }
  | { kind: 'text'; text: string; contentType?: string }
  | { kind: 'bytes'; bytes: number[]; contentType: string }
  | { kind: 'none' };

function bodyVariants(schema: JsonSchema | undefined): fc.Arbitrary<BodyVariant> {
  const valid = schema ? arbitraryOf(schema) : fc.constant({});
  const asJson = valid.map((value): BodyVariant => ({ kind: 'json', value }));
  return fc.oneof(
    { weight: 6, arbitrary: asJson },
    { weight: 1, arbitrary: fc.constant<BodyVariant>({ kind: 'none' }) },
    {
      weight: 1,
      arbitrary: valid.map((value): BodyVariant => {
        const text = JSON.stringify(value) ?? '{}';
        const inner = text.startsWith('{') && text.length > 2 ? `,${text.slice(1)}` : '}';
        return { kind: 'text', text: `{"__proto__":{"polluted":true}${inner}` };
      }),
    },
    {
      weight: 1,
      // Deep nesting where the contract allows any JSON (meta, result), else the whole body.
      arbitrary: fc.tuple(valid, fc.constantFrom(10, 1000, 5000)).map(([value, levels]): BodyVariant => {
        const open = Object.entries(schema?.properties ?? {}).find(([, p]) => p.type === 'object')?.[0];
        if (!open || typeof value !== 'object' || value === null) return { kind: 'text', text: deep(levels) };
        const marker = '"__DEEP__"';
        const text = JSON.stringify({ ...(value as object), [open]: { a: '__DEEP__' } });
        return { kind: 'text', text: text.replace(marker, deep(levels)) };
      }),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x')
        .chain((contentType) =>
          valid.map((value): BodyVariant => ({ kind: 'text', text: JSON.stringify(value) ?? '{}', contentType })),
        ),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(MAX_BODY, MAX_BODY + 1).map((size): BodyVariant => {
        const head = '{"content":"';
        const tail = '","mobile_indices":[0]}';
        return { kind: 'text', text: `${head}${'a'.repeat(size - head.length - tail.length)}${tail}` };
      }),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        { kind: 'text', text: '{"content": ' } as BodyVariant,
        { kind: 'text', text: '\u0000' } as BodyVariant,
        { kind: 'text', text: '"\\ud800"' } as BodyVariant,
        { kind: 'text', text: '{"content":"\\ud800\\u0000","mobile_indices":[0]}' } as BodyVariant,
        { kind: 'bytes', bytes: [0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d], contentType: 'application/json' } as BodyVariant,
        { kind: 'text', text: 'null' } as BodyVariant,
        { kind: 'text', text: '[]' } as BodyVariant,
      ),
    },
  );
}

type Credential = 'none' | 'user' | 'admin' | 'worker' | 'garbage' | 'forged-jwt';

const SCHEME_CREDENTIAL: Record<string, Credential> = {
  userBearer: 'user',
  devUserId: 'user',
  adminBearer: 'admin',
  workerBearer: 'worker',
};

/** Mostly the credential the operation asks for, so requests get past identity; any other one too. */
function credentialFor(operation: Operation): fc.Arbitrary<Credential> {
  const schemes = (operation.security ?? []).flatMap((r) => Object.keys(r));
  const right = [...new Set(schemes.map((s) => SCHEME_CREDENTIAL[s]).filter((c): c is Credential => c !== undefined))];
  const any = fc.constantFrom<Credential>('none', 'user', 'admin', 'worker', 'garbage', 'forged-jwt');
  return right.length === 0
    ? any
    : fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...right) }, { weight: 1, arbitrary: any });
}

function requestFor(operation: Operation) {
  const params = operation.request?.params ? toJsonSchema(operation.request.params) : undefined;
  const names = Object.keys(params?.properties ?? {});
  const pathParam = fc.oneof(
    { weight: 2, arbitrary: fc.string({ minLength: 1, maxLength: 30 }).map((s) => encodeURIComponent(s)) },
    { weight: 2, arbitrary: fc.constantFrom(...ENCODED_IDS) },
    { weight: 1, arbitrary: fc.constant('JOB') },
  );
  const query = operation.request?.query ? arbitraryOf(toJsonSchema(operation.request.query)) : fc.constant({});
  const hostileQuery = fc.oneof(
    { weight: 4, arbitrary: query },
    {
      weight: 1,
      arbitrary: fc.dictionary(fc.constantFrom('kind', 'limit', 'offset', '__proto__'), fc.string({ maxLength: 20 })),
    },
  );
  return fc.record({
    // The id, not the operation object: a counterexample stays short enough to read.
    id: fc.constant(operationId(operation)),
    params: fc
      .tuple(...names.map(() => pathParam))
      .map((values) => Object.fromEntries(names.map((n, i) => [n, values[i]!]))),
    query: hostileQuery,
    body: operation.request?.body ? bodyVariants(bodySchema(operation)) : fc.constant<BodyVariant>({ kind: 'none' }),
    credential: credentialFor(operation),
  });
}

type Generated = fc.Arbitrary<ReturnType<typeof requestFor> extends fc.Arbitrary<infer T> ? T : never>;

function urlOf(g: { id: string; params: Record<string, string>; query: unknown }): string {
  const path = operationById(g.id)!.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = g.params[name] ?? 'x';
    return value === 'JOB' ? jobId : value;
  });
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries((g.query ?? {}) as Record<string, unknown>)) query.set(k, String(v));
  const qs = query.toString();
  return `${gateway.origin}${path}${qs ? `?${qs}` : ''}`;
}

function headersFor(credential: Credential): Record<string, string> {
  switch (credential) {
    case 'user':
      return { 'x-dev-user-id': 'alice' };
    case 'admin':
      return { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
    case 'worker':
      return { authorization: `Bearer ${workerToken}` };
    case 'garbage':
      return { authorization: 'Bearer \u00e9\u00e9', 'x-dev-user-id': '' };
    case 'forged-jwt':
      return { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.' };
    default:
      return {};
  }
}

const ignored = (key: string) => key.startsWith('zpe:gw:callers:');
async function state(): Promise<Map<string, string>> {
  return new Map([...(await snapshot(raw))].filter(([key]) => !ignored(key)));
}

/**
 * What changed between two snapshots, except keys that expired meanwhile (earlier fuzzed requests
 * may have made enrollment tokens or flags of one second): Redis's doing, not the request's.
 */
function changes(before: Map<string, string>, after: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [key, value] of after)
    if (before.get(key) !== value) out.push(`${before.has(key) ? 'changed' : 'added'} ${key}`);
  for (const [key, value] of before) if (!after.has(key) && !value.startsWith('ttl ')) out.push(`deleted ${key}`);
  return out;
}

const figures = { requests: 0, statuses: {} as Record<number, number>, byOperation: {} as Record<string, number> };

beforeAll(async () => {
  redis = await startRedis();
  raw = redis.client();
  gateway = await startGateway({ ZPE_REDIS_URL: redis.url, ZPE_MAX_BODY_BYTES: String(MAX_BODY) });
  const enroll = await gateway.fetch('/api/zpe/compute/enroll-tokens', { method: 'POST', user: 'alice', json: {} });
  const { token } = (await enroll.json()) as { token: string };
  const registered = await gateway.fetch('/api/zpe/compute/servers', { method: 'POST', json: { token, name: 'w' } });
  workerToken = ((await registered.json()) as { worker_token: string }).worker_token;
  const submitted = await gateway.fetch('/api/zpe/jobs', {
    method: 'POST',
    user: 'alice',
    json: { content: SMALL_INPUT, mobile_indices: [2, 3] },
  });
  jobId = ((await submitted.json()) as { id: string }).id;
});
afterAll(async () => {
  console.log(
    `fuzz (seed ${SEED}): ${figures.requests} requests, statuses ${JSON.stringify(figures.statuses)}, ` +
      `per operation ${JSON.stringify(figures.byOperation)}`,
  );
  await gateway?.close();
  await redis?.stop();
});

describe('contract-driven fuzzing of every operation', () => {
  it('never a 500, always the envelope, never a hang, Redis unchanged by refusals', async () => {
    const arbitrary = fc.oneof(...OPERATIONS.map((op) => requestFor(op) as Generated));
    await fc.assert(
      fc.asyncProperty(arbitrary, async (g) => {
        const before = await state();
        const headers: Record<string, string> = headersFor(g.credential);
        let body: string | Blob | undefined;
        if (g.body.kind === 'json') {
          body = JSON.stringify(g.body.value);
          headers['content-type'] = 'application/json';
        } else if (g.body.kind === 'text') {
          body = g.body.text;
          headers['content-type'] = g.body.contentType ?? 'application/json';
        } else if (g.body.kind === 'bytes') {
          body = new Blob([new Uint8Array(g.body.bytes)]);
          headers['content-type'] = g.body.contentType;
        }
        const operation = operationById(g.id)!;
        const method = operation.method.toUpperCase();
        const response = await fetch(urlOf(g), {
          method,
          headers,
          body: method === 'GET' ? undefined : body,
          signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
        });
        const text = await response.text();
        const id = g.id;
        figures.requests++;
        figures.statuses[response.status] = (figures.statuses[response.status] ?? 0) + 1;
        figures.byOperation[id] = (figures.byOperation[id] ?? 0) + 1;
        const label = `seed ${SEED}: ${method} ${urlOf(g).slice(0, 200)} -> ${response.status} ${text.slice(0, 200)}`;
        expect(response.status, label).not.toBe(500);
        expect(response.status < 500 || response.status === 503, label).toBe(true);
        if (response.status >= 400) {
          expect(response.headers.get('content-type') ?? '', label).toContain('application/json');
          const parsed = JSON.parse(text) as Record<string, unknown>;
          expect(Object.keys(parsed), label).toEqual(['error']);
          const error = parsed.error as Record<string, unknown>;
          expect(typeof error.code, label).toBe('string');
          expect(typeof error.message, label).toBe('string');
          expect(
            Object.keys(error).every((k) => ['code', 'message', 'details'].includes(k)),
            label,
          ).toBe(true);
          expect(changes(before, await state()), `${label}: a refused request changed Redis`).toEqual([]);
        } else if ((response.headers.get('content-type') ?? '').includes('json')) {
          expect(() => JSON.parse(text), label).not.toThrow();
        }
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
  });

  it('deep nesting (5,000 levels, where the contract allows any JSON) is refused in the envelope, never a 500', async () => {
    const cases: { path: string; body: object; headers: Record<string, string> }[] = [
      { path: '/api/zpe/compute/servers', body: { token: 'not-a-token', meta: { a: '__DEEP__' } }, headers: {} },
      {
        path: `/api/zpe/compute/jobs/${'http-0'.padEnd(37, '0')}/result`,
        body: { lease_id: 'l', result: { a: '__DEEP__' }, summary_text: '', freqs_csv: '' },
        headers: { authorization: `Bearer ${workerToken}` },
      },
      {
        path: '/api/zpe/jobs',
        body: { content: 'x', mobile_indices: '__DEEP__' },
        headers: { 'x-dev-user-id': 'alice' },
      },
    ];
    for (const c of cases) {
      const before = await state();
      const response = await fetch(`${gateway.origin}${c.path}`, {
        method: 'POST',
        headers: { ...c.headers, 'content-type': 'application/json' },
        body: JSON.stringify(c.body).replace('"__DEEP__"', deep(5000)),
        signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
      });
      const text = await response.text();
      const label = `${c.path}: ${response.status} ${text.slice(0, 200)}`;
      expect([400, 413, 422], label).toContain(response.status);
      expect(Object.keys(JSON.parse(text) as object), label).toEqual(['error']);
      expect(changes(before, await state()), label).toEqual([]);
    }
  });
});

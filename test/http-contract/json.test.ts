import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { decodePythonJson } from '../../src/python/json-scanner.js';
import { JSON_ERRORS, jsonInvalid } from './cases.js';
import { type Harness, startHarness } from './harness.js';

/**
 * Bodies that are not JSON, and JSON nested too deeply, over real HTTP: the legacy's json_invalid
 * entries at Python's offsets, a 400 in the envelope for a nesting bomb, and neither ever slow.
 */

let h: Harness;
let shallow: Harness;

beforeAll(async () => {
  h = await startHarness();
  shallow = await startHarness({ ZPE_MAX_JSON_DEPTH: '3' });
});
afterAll(async () => {
  await h?.close();
  await shallow?.close();
});

const nested = (levels: number, inner = '{}') => `${'{"a": '.repeat(levels)}${inner}${'}'.repeat(levels)}`;

describe("Python's JSON errors", () => {
  test.each(JSON_ERRORS)('%j: %s at %s', async (body, offset, message) => {
    const reply = await h.send({ method: 'POST', path: '/api/zpe/jobs', body });
    expect(reply.status).toBe(422);
    expect(reply.json).toEqual({
      error: { code: 'validation_error', message: 'validation error', details: [jsonInvalid(offset, message)] },
    });
  });

  test('NaN and Infinity are JSON to Python: they reach validation', async () => {
    const reply = await h.send({ method: 'POST', path: '/api/zpe/compute/servers', body: '{"token": NaN}' });
    expect(reply.status).toBe(422);
    expect((reply.json as { error: { details: { type: string }[] } }).error.details[0]?.type).toBe('string_type');
    const fine = await h.send({
      method: 'POST',
      path: '/api/zpe/compute/servers',
      body: '{"token": "t", "meta": {"x": -Infinity}}',
    });
    expect(fine.status).toBe(400);
  });

  test('the scanner keeps a __proto__ key as data', () => {
    const decoded = decodePythonJson('{"__proto__": {"polluted": 1}, "a": NaN}', 64);
    expect(decoded.ok).toBe(true);
    const value = (decoded as { value: Record<string, unknown> }).value;
    expect(Object.keys(value)).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

/**
 * Bounds on time are loose on purpose: on a loaded machine V8 may interpret a long loop for a while
 * before its optimised code is ready (a 4 MiB scan then takes a second or two instead of milliseconds).
 * They still catch a scan that is not linear, which takes minutes on these inputs.
 */
const SLOW_MS = 8000;

describe('4 MiB of hostile JSON is answered without blocking', () => {
  const big = 4 * 1024 * 1024 - 64;
  test.each([
    ['an unterminated string', `{"content": "${'x'.repeat(big)}`, 12, 'Unterminated string starting at'],
    [
      'a long string with an error at its end',
      `{"content": "${'\\n'.repeat(big / 2)}\\q"}`,
      13 + big,
      'Invalid \\escape',
    ],
    ['numbers without commas', `[${'1 '.repeat(big / 2)}]`, 3, "Expecting ',' delimiter"],
    ['a cut number list', `{"a": [${'1,'.repeat(big / 2)}`, 7 + big, 'Expecting value'],
  ])('%s', async (_, body, offset, message) => {
    const reply = await h.send({ method: 'POST', path: '/api/zpe/parse', body });
    expect(reply.status).toBe(422);
    expect((reply.json as { error: { details: unknown[] } }).error.details).toEqual([jsonInvalid(offset, message)]);
    expect(reply.ms).toBeLessThan(SLOW_MS);
  });
});

describe('nesting depth is bounded', () => {
  test('the 5,000-level, 12 KB body on POST /api/zpe/compute/servers: 400, fast, in the envelope', async () => {
    const body = `{"token": "t", "meta": ${'['.repeat(5000)}${']'.repeat(5000)}}`;
    expect(body.length).toBeGreaterThan(10_000);
    const reply = await h.send({ method: 'POST', path: '/api/zpe/compute/servers', body });
    expect(reply.status).toBe(400);
    expect(reply.json).toEqual({
      error: { code: 'bad_request', message: 'request body nests deeper than 64 levels (at character 86)' },
    });
    expect(reply.ms).toBeLessThan(500);
  });

  test('a 2-million-level bomb that fills the body limit: the same, just as fast', async () => {
    const levels = 2 * 1024 * 1024 - 8;
    const reply = await h.send({
      method: 'POST',
      path: '/api/zpe/jobs',
      body: '['.repeat(levels) + ']'.repeat(levels),
    });
    expect(reply.status).toBe(400);
    expect(reply.ms).toBeLessThan(SLOW_MS);
  });

  test('64 levels are fine, 65 are not', async () => {
    // The body itself is the first level.
    const at64 = await h.send({
      method: 'POST',
      path: '/api/zpe/compute/servers',
      body: `{"token": "t", "meta": ${nested(62)}}`,
    });
    expect(at64.status).toBe(400);
    expect((at64.json as { error: { message: string } }).error.message).toBe('invalid enroll token');
    const at65 = await h.send({
      method: 'POST',
      path: '/api/zpe/compute/servers',
      body: `{"token": "t", "meta": ${nested(63)}}`,
    });
    expect(at65.status).toBe(400);
    expect((at65.json as { error: { message: string } }).error.message).toMatch(
      /^request body nests deeper than 64 levels/,
    );
  });

  test('a syntax error before the depth is crossed is reported as such', async () => {
    const reply = await h.send({
      method: 'POST',
      path: '/api/zpe/compute/servers',
      body: `{"token" 1, "meta": ${nested(100)}}`,
    });
    expect(reply.status).toBe(422);
    expect((reply.json as { error: { details: unknown[] } }).error.details).toEqual([
      jsonInvalid(9, "Expecting ':' delimiter"),
    ]);
  });

  test('ZPE_MAX_JSON_DEPTH sets the bound', async () => {
    const fine = await shallow.send({
      method: 'POST',
      path: '/api/zpe/compute/servers',
      body: '{"token": "t", "meta": {"a": {}}}',
    });
    expect((fine.json as { error: { message: string } }).error.message).toBe('invalid enroll token');
    const deep = await shallow.send({
      method: 'POST',
      path: '/api/zpe/compute/servers',
      body: '{"token": "t", "meta": {"a": {"b": []}}}',
    });
    expect((deep.json as { error: { message: string } }).error.message).toBe(
      'request body nests deeper than 3 levels (at character 35)',
    );
  });

  test('the gateway stays responsive: a health check answers while bombs arrive', async () => {
    const bomb = '{"a": '.repeat(600_000);
    const bombs = Array.from({ length: 4 }, () => h.send({ method: 'POST', path: '/api/zpe/jobs', body: bomb }));
    const health = await h.send({ method: 'GET', path: '/healthz' });
    expect(health.status).toBe(200);
    for (const reply of await Promise.all(bombs)) expect(reply.status).toBe(400);
  });
});

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { until } from '../support/until.js';
import { CASES, type Case, jsonInvalid, missing, notObject } from './cases.js';
import { type Harness, type Reply, startHarness } from './harness.js';

/**
 * Step 0 of every operation over real HTTP: the legacy's 422 answers, exactly (status, message,
 * details in order), before identity and before flags, also with every flag off.
 */

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

function expectAnswer(c: Case, reply: Reply) {
  const label = `${c.name}: ${reply.status} ${reply.text.slice(0, 300)}`;
  expect(reply.status, label).toBe(c.status);
  if (reply.status === 204) return;
  expect(reply.headers.get('content-type'), label).toMatch(/^application\/json/);
  const { error } = reply.json as ErrorBody;
  if (c.status === 422) {
    expect(error.code, label).toBe('validation_error');
    expect(error.message, label).toBe('validation error');
    // Compared as text: the order of the entries and of their keys is part of the answer.
    expect(JSON.stringify(error.details), label).toBe(JSON.stringify(c.details));
  } else {
    expect(error.code, label).not.toBe('validation_error');
    if (c.message) expect(error.message, label).toBe(c.message);
  }
}

const table = Object.entries(CASES).flatMap(([operation, cases]) =>
  cases.map((c) => [`${operation}: ${c.name}`, c] as const),
);

describe('validation as the legacy answers it, with no credentials', () => {
  test.each(table)('%s', async (_, c) => {
    expectAnswer(c, await h.send(c.send));
  });
});

describe('validation comes before identity', () => {
  test('a bad bearer and a bad user with a malformed body still get 422', async () => {
    const reply = await h.send({
      method: 'POST',
      path: '/api/zpe/compute/jobs/http-x/failed',
      body: '{"lease_id": ',
      headers: { authorization: 'Bearer nope', 'x-dev-user-id': 'mallory' },
    });
    expect(reply.status).toBe(422);
    expect((reply.json as ErrorBody).error.details).toEqual([jsonInvalid(13, 'Expecting value')]);
  });

  test('a valid user does not change a 422 either', async () => {
    const reply = await h.send({
      method: 'GET',
      path: '/api/zpe/targets?limit=0',
      headers: { 'x-dev-user-id': 'alice' },
    });
    expect(reply.status).toBe(422);
  });
});

describe('an echoed input is cut to a bounded size', () => {
  test('a 2 MiB string in a body missing a field comes back as its first 1,024 characters', async () => {
    const content = 'x'.repeat(2 * 1024 * 1024);
    const reply = await h.send({ method: 'POST', path: '/api/zpe/jobs', body: JSON.stringify({ content }) });
    expect(reply.status).toBe(422);
    expect(reply.text.length).toBeLessThan(4096);
    const { details } = (reply.json as ErrorBody).error as { details: { input: { content: string } }[] };
    expect(details).toEqual([missing(['body', 'mobile_indices'], { content: `${'x'.repeat(1024)}…` })]);
  });

  test('a non-JSON body of 1 MiB is echoed as 1,024 characters', async () => {
    const reply = await h.send({
      method: 'POST',
      path: '/api/zpe/parse',
      body: 'y'.repeat(1 << 20),
      contentType: 'text/plain',
    });
    expect(reply.status).toBe(422);
    expect((reply.json as ErrorBody).error.details).toEqual([notObject(['body'], `${'y'.repeat(1024)}…`)]);
  });

  test('a list of 200,000 bad items: the first 100 errors, a small answer, quickly', async () => {
    const body = JSON.stringify({ content: 'x', mobile_indices: Array.from({ length: 200_000 }, () => 'a') });
    const reply = await h.send({ method: 'POST', path: '/api/zpe/jobs', body });
    expect(reply.status).toBe(422);
    const { details } = (reply.json as ErrorBody).error as { details: { loc: unknown[] }[] };
    expect(details).toHaveLength(100);
    expect(details.at(-1)?.loc).toEqual(['body', 'mobile_indices', 99]);
    expect(reply.text.length).toBeLessThan(32 * 1024);
    expect(reply.ms).toBeLessThan(2000);
  });

  test('a missing field in a body of many keys: the echo keeps 32 of them and says how many more', async () => {
    const body = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i]));
    const reply = await h.send({ method: 'POST', path: '/api/zpe/compute/servers', body: JSON.stringify(body) });
    expect(reply.status).toBe(422);
    const { details } = (reply.json as ErrorBody).error as {
      details: { type: string; input: Record<string, unknown> }[];
    };
    expect(details).toHaveLength(100);
    expect(details[0]?.type).toBe('missing');
    expect(Object.keys(details[0]!.input)).toHaveLength(33);
    expect(details[0]!.input['…']).toBe('968 more keys');
  });
});

describe('bodies the legacy decodes beyond plain UTF-8 JSON', () => {
  const submission = '{"content": "x", "mobile_indices": [0]}';

  test('a UTF-8 BOM is dropped', async () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(submission)]);
    expect((await h.send({ method: 'POST', path: '/api/zpe/jobs', body: bytes })).status).toBe(401);
  });

  test('UTF-16 with a BOM is read', async () => {
    const units = [0xfeff, ...Array.from(submission, (c) => c.charCodeAt(0))];
    const bytes = new Uint8Array(new Uint16Array(units).buffer);
    expect((await h.send({ method: 'POST', path: '/api/zpe/jobs', body: bytes })).status).toBe(401);
  });

  test('bytes that are not UTF-8: 400 in the envelope, as FastAPI words it', async () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('{"content": "'), 0xff, 0xfe, 0x22, 0x7d]);
    const reply = await h.send({ method: 'POST', path: '/api/zpe/jobs', body: bytes });
    expect(reply.status).toBe(400);
    expect(reply.json).toEqual({ error: { code: 'bad_request', message: 'There was an error parsing the body' } });
  });
});

describe('with every flag off', () => {
  beforeAll(async () => {
    const raw = h.redis.client();
    await raw.mset(
      'zpe:ops:submission_enabled',
      '0',
      'zpe:ops:dequeue_enabled',
      '0',
      'zpe:ops:legacy_worker_endpoints_enabled',
      '0',
      'zpe:ops:submission_route',
      'next-gen',
      'zpe:ops:result_read_source',
      'projection',
    );
    // Written behind the gateway's back: wait until it answers by them.
    await until(async () => {
      const reply = await h.send({ method: 'POST', path: '/api/zpe/compute/servers', body: '{"token": "t"}' });
      return reply.status === 503;
    }, 15_000);
  });

  const refused = table.filter(([, c]) => c.status === 422);
  test.each(refused)('%s', async (_, c) => {
    expectAnswer(c, await h.send(c.send));
  });
});

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type RunningGateway, startGateway } from '../support/gateway.js';
import { type PrivateRedis, startRedis } from '../support/redis-server.js';
import { expectedCases, SAMPLES, sampleAnswer, sampleInput } from './expected-files.js';

// A gateway exactly as `npm start` composes it, with the built-in legacy backend only: no next-gen,
// no HTTP legacy, so POST /api/zpe/parse is answered by the gateway's own reader.
let redis: PrivateRedis;
let gw: RunningGateway;

beforeAll(async () => {
  redis = await startRedis();
  gw = await startGateway({ ZPE_REDIS_URL: redis.url });
});

afterAll(async () => {
  await gw?.close();
  await redis?.stop();
});

async function parse(body: unknown) {
  const response = await gw.fetch('/api/zpe/parse', { method: 'POST', json: body });
  return { response, text: await response.text() };
}

describe('the sample inputs: the legacy answer, byte for byte', () => {
  test.each(SAMPLES)('%s', async (name) => {
    const expected = sampleAnswer(name);
    const { response, text } = await parse({ content: sampleInput(name) });
    expect(response.status).toBe((JSON.parse(expected) as { error?: unknown }).error ? 400 : 200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(JSON.parse(text)).toEqual(JSON.parse(expected));
    expect(text).toBe(expected);
    expect(response.headers.get('x-zpe-backend')).toBe('gateway');
    expect(response.headers.get('x-zpe-route-reason')).toBe('stateless:builtin');
  });
});

describe('variants.json: unusual inputs the legacy accepts', () => {
  test.each(expectedCases('variants.json').map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const { response, text } = await parse(c.request);
    expect(response.status).toBe(c.status);
    expect(JSON.parse(text)).toEqual(c.body);
    // Python's float spelling (0.0, 0.39159113418162056) and key order, as the file shows them.
    expect(text).toBe(c.bytes);
  });
});

const refused = expectedCases('refused.json');

describe('refused.json: the legacy refusals', () => {
  test.each(refused.filter((c) => c.status !== 422).map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const { response, text } = await parse(c.request);
    expect(response.status).toBe(c.status);
    expect(JSON.parse(text)).toEqual(c.body);
  });

  // The 422 details are the contract validation's (src/http/validation.ts); here: refused before parsing.
  test.each(refused.filter((c) => c.status === 422).map((c) => [c.name, c] as const))('%s: 422', async (_, c) => {
    const { response, text } = await parse(c.request);
    expect(response.status).toBe(422);
    expect((JSON.parse(text) as { error: { code: string } }).error.code).toBe('validation_error');
  });
});

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ApiError } from '../../src/http/errors.js';
import { parseAnswer } from '../../src/qe/parse-operation.js';
import { type RunningGateway, startGateway } from '../support/gateway.js';
import { type PrivateRedis, startRedis } from '../support/redis-server.js';

const MAX_BODY = 4 * 1024 * 1024;
const HEAD = '&system\n ibrav=0, nat=1, ntyp=1\n/\nATOMIC_SPECIES\nH 1.0 H.upf\nATOMIC_POSITIONS angstrom\nH 0 0 ';

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

/** The request's own handling time, from the gateway's request log line. */
function loggedDuration(requestId: string): number {
  const line = gw.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.request_id === requestId);
  return line?.duration_ms as number;
}

describe('a 4 MiB body of one long token', () => {
  test.each([
    ['one token', (n: number) => 'x'.repeat(n), '構造データではありません。'],
    [
      'a header then one token',
      (n: number) => `ATOMIC_POSITIONS${'('.repeat(n - 16)}`,
      "'Required section &SYSTEM not found.'",
    ],
  ])('%s: refused in milliseconds while health checks are answered', async (_, token, message) => {
    // The whole body at the limit: {"content":"..."} is 14 bytes around the token.
    const body = JSON.stringify({ content: token(MAX_BODY - 14) });
    expect(body.length).toBe(MAX_BODY);
    const requestId = `adversarial-${Math.random().toString(16).slice(2)}`;
    const started = performance.now();
    const big = gw.fetch('/api/zpe/parse', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-request-id': requestId },
    });
    const health: number[] = [];
    let done = false;
    const bigDone = big.then(async (response) => {
      done = true;
      return { status: response.status, json: (await response.json()) as { error: { message: string } } };
    });
    while (!done) {
      const t = performance.now();
      const answer = await gw.fetch('/healthz');
      expect(answer.status).toBe(200);
      health.push(performance.now() - t);
    }
    const answer = await bigDone;
    const total = performance.now() - started;
    expect(answer.status).toBe(400);
    expect(answer.json.error.message).toContain(message);
    expect(health.length).toBeGreaterThan(0);
    // The reader itself takes milliseconds on it, and the event loop is never held long.
    const reading = time(JSON.parse(body).content as string);
    expect(reading).toBeLessThan(100);
    expect(Math.max(...health)).toBeLessThan(1500);
    console.log(
      `${_}: answered in ${total.toFixed(0)} ms, logged ${loggedDuration(requestId)} ms, reader ${reading.toFixed(1)} ms, health max ${Math.max(...health).toFixed(0)} ms over ${health.length}`,
    );
  });
});

/** Handling time of the reader alone: the best of three. */
function time(content: string): number {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    try {
      parseAnswer(content);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
    }
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

describe('the reader is linear on adversarial inputs', () => {
  const shapes: [string, (n: number) => string][] = [
    ['a + chain', (n) => `${HEAD}${'1+'.repeat(n / 2)}1`],
    ['nested brackets', (n) => `${HEAD}${'('.repeat(n / 2)}1${')'.repeat(n / 2)}`],
    ['unbalanced brackets', (n) => `${HEAD}${')('.repeat(n / 2)}`],
    ['one long number', (n) => `${HEAD}${'1'.repeat(n)}`],
    // A readable structure, then text the k-point scan has to try at every K_POINTS.
    ['K_POINTS headers', (n) => `${HEAD}0\n\n${'K_POINTS ( automatic ) '.repeat(n / 23)}`],
    ['many atom lines', (n) => `${HEAD}0\n${'H 0 0 0 0 0 0\n'.repeat(n / 14)}`],
  ];
  test.each(shapes)('%s: four times the input, at most about four times the time', (_, shape) => {
    const small = time(shape(256 * 1024));
    const large = time(shape(1024 * 1024));
    console.log(`${_}: 256 KiB ${small.toFixed(1)} ms, 1 MiB ${large.toFixed(1)} ms`);
    // Quadratic would be 16 times; allow noise on a shared machine.
    expect(large).toBeLessThan(Math.max(8 * small, 50));
  });
});

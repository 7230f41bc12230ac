import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type NextgenStandin, startNextgenStandin } from '../fixtures/nextgen-standin.js';
import { requestInit, SAMPLE_REQUESTS } from '../routing/requests.js';
import { type RunningGateway, startGateway } from '../support/gateway.js';
import { type PrivateRedis, startRedis } from '../support/redis-server.js';
import { until } from '../support/until.js';

/**
 * The staleness bound as a user sees it: flags written by anyone (the legacy control plane and
 * redis-cli write plain keys and publish nothing), and flags that expire, are obeyed by a gateway
 * that was idle before within ZPE_FLAG_STALENESS_MS, and in steady state a request costs no Redis
 * command for its flags.
 */
const BOUND_MS = 1000;

let redis: PrivateRedis;
let raw: Redis;
let nextgen: NextgenStandin;
let gw: RunningGateway;

/** The scenario's idle period: no request reaches the gateway for this long. Not a synchronisation. */
const idle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Submits the sample job: 503 "zpe submissions disabled" while submissions are off; else served by a backend. */
async function submit() {
  const sample = SAMPLE_REQUESTS.submitJob;
  const response = await gw.fetch(sample.path, requestInit(sample));
  const body = (await response.json()) as { error?: { message: string } };
  return { status: response.status, message: body.error?.message, backend: response.headers.get('x-zpe-backend') };
}

/** Polls `probe` until `done` holds; answers how long after `since` the first request that saw it was sent. */
async function seenAfter<T>(since: number, probe: () => Promise<T>, done: (value: T) => boolean): Promise<number> {
  let sentAt = 0;
  await until(
    async () => {
      sentAt = Date.now();
      return done(await probe());
    },
    BOUND_MS * 3,
    5,
  );
  return sentAt - since;
}

beforeAll(async () => {
  redis = await startRedis();
  raw = redis.client();
  nextgen = await startNextgenStandin();
  gw = await startGateway({
    ZPE_REDIS_URL: redis.url,
    ZPE_NEXTGEN_URL: nextgen.origin,
    ZPE_FLAG_STALENESS_MS: String(BOUND_MS),
  });
});

afterAll(async () => {
  await gw?.close();
  await nextgen?.close();
  await redis?.stop();
});

beforeEach(async () => {
  await raw.del(...(await raw.keys('zpe:ops:*')), 'zpe:ops:none');
  await until(async () => (await submit()).status !== 503, BOUND_MS * 3);
});

describe(`flags written by anyone are obeyed within ${BOUND_MS} ms`, () => {
  it('a value written straight into Redis (no publish) stops submissions on a gateway that was idle', async () => {
    await idle(BOUND_MS * 1.5);
    const written = Date.now();
    // As the legacy reads it: trimmed, any case, its boolean spellings.
    await raw.set('zpe:ops:submission_enabled', ' Off ');
    const after = await seenAfter(written, submit, (r) => r.status === 503);
    expect(await submit()).toMatchObject({ status: 503, message: 'zpe submissions disabled', backend: 'gateway' });
    expect(after).toBeLessThanOrEqual(BOUND_MS);
  });

  it('a route written by redis-cli in its own spelling moves submissions within the bound', async () => {
    expect((await submit()).backend).toBe('legacy');
    await idle(BOUND_MS * 1.5);
    const written = Date.now();
    await raw.set('zpe:ops:submission_route', 'Next-Gen\n');
    const after = await seenAfter(written, submit, (r) => r.backend === 'nextgen');
    expect(after).toBeLessThanOrEqual(BOUND_MS);
  });

  it('a flag that expires is back to its default within the bound, on a gateway idle since it was seen', async () => {
    await raw.set('zpe:ops:submission_enabled', '0', 'PX', 1500);
    const expires = Date.now() + 1500;
    await until(async () => (await submit()).status === 503, BOUND_MS * 2);
    await idle(Math.max(0, expires - Date.now() - 100));
    const after = await seenAfter(expires, submit, (r) => r.status !== 503);
    // Not before the key expires (give or take a round trip), and within the bound after.
    expect(after).toBeGreaterThanOrEqual(-50);
    expect(after).toBeLessThanOrEqual(BOUND_MS);
  });

  it('makes no Redis command per request in steady state', async () => {
    const parse = SAMPLE_REQUESTS.parseQeInput;
    expect((await gw.fetch(parse.path, requestInit(parse))).status).toBe(200);
    const monitor = await raw.duplicate().monitor();
    const commands: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[]) => commands.push(args));
    const requests = 300;
    const started = Date.now();
    for (let i = 0; i < requests; i++) {
      const response = await gw.fetch(parse.path, requestInit(parse));
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    const elapsed = Date.now() - started;
    monitor.disconnect();
    // Everything seen is the background refresh: one pipeline of reads of the flag keys every
    // quarter of the bound, bounded by the time taken whatever the number of requests.
    const flagReads = commands.filter(
      ([name, key]) =>
        ['get', 'pttl', 'mget'].includes(String(name).toLowerCase()) && String(key).startsWith('zpe:ops:'),
    );
    const others = commands.filter((c) => !flagReads.includes(c));
    expect(others).toEqual([]);
    const loads = flagReads.filter(
      ([name, key]) => String(name).toLowerCase() === 'get' && key === 'zpe:ops:shadow',
    ).length;
    expect(loads).toBeLessThanOrEqual(Math.ceil(elapsed / (BOUND_MS / 4)) + 2);
    console.info(`steady state: ${requests} requests in ${elapsed} ms, ${loads} flag reads, 0 other Redis commands`);
  });
});

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis } from '../../src/redis/client.js';
import { type PrivateRedis, startRedis } from '../support/redis-server.js';

let server: PrivateRedis;
let raw: Redis;

beforeAll(async () => {
  server = await startRedis();
  raw = server.client();
  await raw.mset(Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, `v${i}`])));
});
afterAll(async () => {
  await server.stop();
});

/** The reads redis-server made from its sockets so far (INFO stats total_reads_processed). */
async function serverReads(): Promise<number> {
  const match = /total_reads_processed:(\d+)/.exec(await raw.info('stats'));
  return Number(match?.[1]);
}

/** `count` GETs issued in one turn of the event loop through `redis`; the server's reads they took. */
async function burst(redis: Redis, count: number): Promise<{ replies: (string | null)[]; reads: number }> {
  await redis.ping();
  const before = await serverReads();
  const replies = await Promise.all(Array.from({ length: count }, (_, i) => redis.get(`k${i}`)));
  // Minus the INFO command's own read.
  return { replies, reads: (await serverReads()) - before - 1 };
}

describe('the gateway Redis client', () => {
  it('sends the commands of one event-loop turn in one write, each answered with its own reply', async () => {
    const redis = createRedis(server.url, 2_000);
    const { replies, reads } = await burst(redis, 200);
    expect(replies).toEqual(Array.from({ length: 200 }, (_, i) => `v${i}`));
    // 200 GETs are 6 KB: one write, read by the server at once into its 16 KB buffer (twice, should
    // the kernel split it). Written one by one, they take about one read each (the next test).
    expect(reads).toBeLessThanOrEqual(2);
    redis.disconnect();
  });

  it('counts reads as the check above needs: plain ioredis, writing each command alone, takes many', async () => {
    const plain = new Redis(server.url);
    const { reads } = await burst(plain, 200);
    expect(reads).toBeGreaterThan(20);
    plain.disconnect();
  });

  it('answers commands issued while it is still connecting', async () => {
    const redis = createRedis(server.url, 2_000);
    const replies = await Promise.all([redis.get('k1'), redis.get('k2')]);
    expect(replies).toEqual(['v1', 'v2']);
    redis.disconnect();
  });
});

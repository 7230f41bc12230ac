import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FLAG_KEYS } from '../../src/flags/keys.js';
import { redisFlagStorage } from '../../src/flags/redis-storage.js';
import { FlagStore } from '../../src/flags/store.js';
import { silentLogger } from '../../src/observability/log.js';
import { createRedis } from '../../src/redis/client.js';
import { LEGACY_FLAG_DEFAULTS } from '../support/legacy-flag-defaults.js';
import { type PrivateRedis, startRedis } from '../support/redis-server.js';
import { until } from '../support/until.js';

const defaults = LEGACY_FLAG_DEFAULTS;

let server: PrivateRedis;
let raw: Redis;
const opened: FlagStore[] = [];
const connections: Redis[] = [];

function store(stalenessMs = 1000, options: { timer?: boolean; refreshMs?: number } = {}) {
  const redis = createRedis(server.url, 300);
  redis.on('error', () => {});
  connections.push(redis);
  const s = new FlagStore({
    storage: redisFlagStorage(redis),
    defaults,
    logger: silentLogger,
    stalenessMs,
    ...options,
  });
  opened.push(s);
  return s;
}

/** The scenario's idle period: no request reaches the store for this long. Not a synchronisation. */
const idle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function commandCount(name: string): Promise<number> {
  const info = await raw.info('commandstats');
  const match = new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(info);
  return match ? Number(match[1]) : 0;
}

beforeAll(async () => {
  server = await startRedis();
  raw = server.client();
});

afterAll(async () => {
  for (const s of opened) await s.close();
  for (const c of connections) c.disconnect();
  await server.stop();
});

beforeEach(async () => {
  await raw.flushall();
});

describe('flag store on Redis', () => {
  it('reads flags the legacy control plane wrote, with its parsing rules', async () => {
    await raw.set('zpe:ops:submission_enabled', 'No');
    await raw.set('zpe:ops:submission_route', 'next-gen', 'EX', 3600);
    await raw.set('zpe:ops:result_read_source', 'bogus');
    const state = await store().fresh();
    expect(state.values).toEqual({ ...defaults, submission_enabled: false, submission_route: 'next-gen' });
    expect(state.records.submission_route.source).toBe('set');
    expect(Date.parse(state.records.submission_route.expires_at ?? '')).toBeGreaterThan(Date.now() + 3500_000);
    expect(state.records.result_read_source.source).toBe('set');
    expect(state.records.result_read_source.value).toBe('redis');
  });

  it('writes legacy values with a TTL, metadata beside them, an audit entry, in one step', async () => {
    const s = store();
    const at = new Date().toISOString();
    const expires = new Date(Date.now() + 60_000).toISOString();
    const meta = JSON.stringify({ actor: 'admin', reason: 'drill', set_at: at, expires_at: expires, forced: false });
    await s.write({
      sets: [
        [FLAG_KEYS.value('dequeue_enabled'), '0'],
        [FLAG_KEYS.meta('dequeue_enabled'), meta],
      ],
      ttlSeconds: 60,
      audit: { at, actor: 'admin', reason: 'drill', forced: false, changes: { dequeue_enabled: false } },
    });
    expect(await raw.get('zpe:ops:dequeue_enabled')).toBe('0');
    const ttl = await raw.ttl('zpe:ops:dequeue_enabled');
    expect(ttl).toBeGreaterThan(55);
    expect(ttl).toBeLessThanOrEqual(60);
    expect(await raw.type(FLAG_KEYS.audit)).toBe('stream');
    expect(await raw.ttl(FLAG_KEYS.audit)).toBeGreaterThan(0);
    const [entry] = await s.auditLog(5);
    expect(entry).toEqual({ at, actor: 'admin', reason: 'drill', forced: false, changes: { dequeue_enabled: false } });
  });

  it('returns an expired flag to its default when its key expires, even with no read in between', async () => {
    const s = store(60_000, { timer: false });
    await raw.set('zpe:ops:submission_enabled', '0', 'PX', 300);
    const set = Date.now();
    expect((await s.fresh()).values.submission_enabled).toBe(false);
    await until(async () => (await s.snapshot()).values.submission_enabled === true, 3000, 5);
    // At the key's own expiry (read with its TTL), not a refresh later.
    expect(Date.now() - set).toBeGreaterThanOrEqual(300 - 50);
    expect(Date.now() - set).toBeLessThan(300 + 250);
    expect((await s.snapshot()).records.submission_enabled.source).toBe('default');
  });

  it('serves from memory in steady state: no Redis round trip per request', async () => {
    const s = store(60_000);
    await s.start();
    await s.snapshot();
    const before = await commandCount('get');
    for (let i = 0; i < 1000; i++) await s.snapshot();
    expect(await commandCount('get')).toBe(before);
  });

  it('without a timer, the first request after an idle period reads a value written straight into Redis', async () => {
    // As on Workers: nothing refreshes between requests, and nobody publishes the legacy's write.
    const s = store(300, { timer: false });
    await s.start();
    expect((await s.snapshot()).values.dequeue_enabled).toBe(true);
    await raw.set('zpe:ops:dequeue_enabled', ' Off ');
    await idle(400);
    expect((await s.snapshot()).values.dequeue_enabled).toBe(false);
  });

  it('with the timer, a value written straight into Redis while idle is in force within the bound', async () => {
    const s = store(400);
    await s.start();
    await idle(600);
    const written = Date.now();
    await raw.set('zpe:ops:submission_route', 'NEXT-GEN');
    await until(async () => (await s.snapshot()).values.submission_route === 'next-gen', 2000, 5);
    expect(Date.now() - written).toBeLessThanOrEqual(400 + 50);
  });

  it('never serves a state read longer ago than the bound while Redis answers, even when the refresh is slow', async () => {
    // A refresh interval longer than the bound: requests past the bound must read for themselves.
    const s = store(200, { refreshMs: 10_000, timer: false });
    await s.start();
    await raw.set('zpe:ops:submission_enabled', '0');
    await idle(250);
    expect((await s.snapshot()).values.submission_enabled).toBe(false);
  });

  it('sees a change made through another instance within one second', async () => {
    const a = store(60_000);
    const b = store(60_000);
    await Promise.all([a.start(), b.start()]);
    expect((await b.snapshot()).values.submission_route).toBe('redis-worker');
    const started = Date.now();
    await a.write({
      sets: [[FLAG_KEYS.value('submission_route'), 'next-gen']],
      ttlSeconds: 60,
      audit: { at: new Date().toISOString(), actor: 'admin', reason: 't', forced: false, changes: {} },
    });
    await until(async () => (await b.snapshot()).values.submission_route === 'next-gen', 1000);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('keeps the last known values while Redis is unreachable, and defaults when none are known', async () => {
    await raw.set('zpe:ops:submission_enabled', '0');
    const warm = store(20, { timer: false });
    await warm.snapshot();
    await until(async () => (await warm.snapshot()).values.submission_enabled === false, 2000);
    server.pause();
    try {
      const cold = store(20, { timer: false });
      const [warmState, coldState] = await Promise.all([warm.snapshot(), cold.snapshot()]);
      expect(warmState.values.submission_enabled).toBe(false);
      expect(coldState.values.submission_enabled).toBe(true);
      await expect(cold.fresh()).rejects.toThrow();
    } finally {
      server.resume();
    }
  });
});

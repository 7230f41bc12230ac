import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type NextgenStandin, startNextgenStandin } from '../fixtures/nextgen-standin.js';
import { type RunningGateway, startGateway } from '../support/gateway.js';
import { type PrivateRedis, startRedis } from '../support/redis-server.js';
import { until } from '../support/until.js';

let redis: PrivateRedis;
const cleanup: (() => Promise<void>)[] = [];

beforeAll(async () => {
  redis = await startRedis();
});

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
  await redis.client().flushall();
});

afterAll(async () => {
  await redis?.stop();
});

async function standin(): Promise<NextgenStandin> {
  const s = await startNextgenStandin();
  let closed = false;
  cleanup.push(async () => {
    if (!closed) await s.close();
  });
  const close = s.close.bind(s);
  s.close = async () => {
    closed = true;
    await close();
  };
  return s;
}

async function gateway(env: Record<string, string>): Promise<RunningGateway> {
  const gw = await startGateway({ ZPE_REDIS_URL: redis.url, ...env });
  cleanup.push(() => gw.close());
  return gw;
}

async function readyz(gw: RunningGateway) {
  const answer = await gw.fetch('/readyz');
  return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
}

async function patch(gw: RunningGateway, change: Record<string, unknown>) {
  const answer = await gw.fetch('/api/zpe/admin/ops', { method: 'PATCH', admin: true, json: change });
  expect(answer.status, JSON.stringify(await answer.clone().json())).toBe(200);
}

describe('/readyz follows routing', () => {
  it('stays ready (degraded) with next-gen down while the flags send everything to the built-in legacy', async () => {
    const nextgen = await standin();
    const gw = await gateway({ ZPE_NEXTGEN_URL: nextgen.origin });
    expect(await readyz(gw)).toEqual({
      status: 200,
      body: { status: 'ready', checks: { redis: 'ok', legacy: 'ok', nextgen: 'ok' } },
    });

    await nextgen.close();
    const { status, body } = await readyz(gw);
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'degraded', degraded: ['nextgen'], checks: { redis: 'ok', legacy: 'ok' } });
    expect(body.checks).toHaveProperty('nextgen', 'nextgen backend unreachable');
    expect(body).not.toHaveProperty('not_ready');
  });

  it('is not ready when a flag routes traffic to the next-gen that is down, and ready again on rollback', async () => {
    const nextgen = await standin();
    const gw = await gateway({ ZPE_NEXTGEN_URL: nextgen.origin });
    await patch(gw, { submission_route: 'next-gen', reason: 'stage 1' });
    expect((await readyz(gw)).status).toBe(200);

    await nextgen.close();
    const down = await readyz(gw);
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ status: 'not ready', not_ready: ['nextgen'] });

    await patch(gw, { submission_route: 'redis-worker', reason: 'rollback' });
    const back = await readyz(gw);
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ status: 'degraded', degraded: ['nextgen'] });
  });

  it('counts a route override as traffic to its backend', async () => {
    const nextgen = await standin();
    const gw = await gateway({ ZPE_NEXTGEN_URL: nextgen.origin });
    await patch(gw, { route_overrides: { listQueueTargets: { backend: 'nextgen' } }, reason: 'try targets' });
    await nextgen.close();
    expect(await readyz(gw)).toMatchObject({ status: 503, body: { not_ready: ['nextgen'] } });
  });

  it('is not ready when the built-in legacy in use loses Redis, and recovers by itself', async () => {
    const gw = await gateway({});
    redis.pause();
    let down: Awaited<ReturnType<typeof readyz>>;
    try {
      down = await readyz(gw);
    } finally {
      redis.resume();
    }
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ status: 'not ready', not_ready: ['legacy'], degraded: ['redis'] });
    await until(async () => (await readyz(gw)).status === 200, 5000, 50);
    expect(await readyz(gw)).toEqual({ status: 200, body: { status: 'ready', checks: { redis: 'ok', legacy: 'ok' } } });
  });

  it('serves without Redis when no backend needs it: HTTP backends only, Redis down is degraded', async () => {
    const legacy = await standin();
    const nextgen = await standin();
    const gw = await gateway({ ZPE_LEGACY_URL: legacy.origin, ZPE_NEXTGEN_URL: nextgen.origin });
    redis.pause();
    let answer: Awaited<ReturnType<typeof readyz>>;
    try {
      answer = await readyz(gw);
    } finally {
      redis.resume();
    }
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      status: 'degraded',
      degraded: ['redis'],
      checks: { legacy: 'ok', nextgen: 'ok' },
    });
  });
});

import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminAuthenticator, createUserAuthenticator } from '../../src/auth/index.js';
import { loadConfig } from '../../src/config/env.js';
import { createGateway } from '../../src/http/app.js';
import { ApiError } from '../../src/http/errors.js';
import { redisCallerStore } from '../../src/lifecycle/callers-redis.js';
import { gatewayLifecycle } from '../../src/lifecycle/gateway.js';
import { silentLogger } from '../../src/observability/log.js';
import { createRedis } from '../../src/redis/client.js';
import { type PrivateRedis, startRedis } from '../support/redis-server.js';
import { until } from '../support/until.js';
import {
  ADMIN_TOKEN,
  DEPRECATION,
  deadRedisUrl,
  deprecatedManifest,
  deprecatedRepo,
  type Repo,
  type RetirementGateway,
  retire,
  startRetirementGateway,
} from './harness.js';

/** A JWT nobody signed: refused, so never counted, whatever its `sub` says. */
function unsignedJwt(sub: string): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ sub })}.c2lnbmF0dXJl`;
}

type CallerReport = { operations: Record<string, { state: string; callers: Record<string, number> }> };

/** On a manifest in which an operator deprecated an item (the committed one deprecates nothing). */
describe('who still calls a deprecated operation', () => {
  let redis: PrivateRedis;
  let gateway: RetirementGateway;
  let deprecated: Repo;
  let workerId: string;
  const strayToken = 'a-worker-token-nobody-issued';
  const today = new Date().toISOString().slice(0, 10);

  const report = async (days = 7) => {
    const answer = await gateway.call('GET', `/admin/callers?days=${days}`, { bearer: ADMIN_TOKEN });
    expect(answer.status).toBe(200);
    return answer.json as unknown as CallerReport;
  };

  beforeAll(async () => {
    redis = await startRedis();
    deprecated = await deprecatedRepo();
    gateway = await startRetirementGateway(redis, { manifest: deprecated.manifest() });

    // Enrollment and registration are still active: not counted.
    const enroll = await gateway.call('POST', '/api/zpe/compute/enroll-tokens', { bearer: ADMIN_TOKEN, body: {} });
    const token = enroll.json.token as string;
    const registered = await gateway.call('POST', '/api/zpe/compute/servers', { body: { token, name: 'w1' } });
    workerId = registered.json.id as string;
    const workerToken = registered.json.worker_token as string;

    expect((await gateway.call('GET', '/api/zpe/jobs/no-such-job', { user: 'alice' })).status).toBe(404);
    expect((await gateway.call('GET', '/api/zpe/jobs/no-such-job', { user: 'alice' })).status).toBe(404);
    expect((await gateway.call('GET', '/api/zpe/targets', { user: 'bob' })).status).toBe(200);
    expect((await gateway.call('GET', '/api/zpe/targets', { bearer: unsignedJwt('mallory') })).status).toBe(401);
    expect((await gateway.call('GET', '/api/zpe/targets')).status).toBe(401);
    expect((await gateway.call('POST', '/api/zpe/compute/jobs/lease', { bearer: workerToken, body: {} })).status).toBe(
      204,
    );
    expect((await gateway.call('POST', '/api/zpe/compute/jobs/lease', { bearer: strayToken, body: {} })).status).toBe(
      401,
    );
    expect((await gateway.call('GET', '/api/zpe/admin/ops', { bearer: ADMIN_TOKEN })).status).toBe(200);
  });
  afterAll(async () => {
    await gateway?.close();
    await redis?.stop();
    deprecated?.cleanup();
  });

  it('GET /admin/callers lists each verified caller: users, workers by id, admin; refused credentials are not callers', async () => {
    const expected = {
      getJobStatus: { 'user:alice': 2 },
      listQueueTargets: { 'user:bob': 1 },
      leaseJob: { [`worker:${workerId}`]: 1 },
      getOpsFlags: { admin: 1 },
    };
    await until(async () => {
      const { operations } = await report();
      return Object.entries(expected).every(
        ([id, callers]) => JSON.stringify(operations[id]?.callers) === JSON.stringify(callers),
      );
    }, 5_000);
    const { operations } = await report();
    for (const [id, callers] of Object.entries(expected)) expect(operations[id]?.callers).toEqual(callers);
    const stray = `worker:${createHash('sha256').update(strayToken).digest('hex').slice(0, 12)}`;
    expect(operations.leaseJob?.callers, 'a token nobody issued is no caller').not.toHaveProperty(stray);
    expect(operations.submitJob).toEqual({
      state: 'deprecated',
      item: DEPRECATION.item,
      callers: {},
      by_day: {},
    });
    expect(operations.createEnrollToken, 'active operations are not watched').toBeUndefined();
  });

  it('the counts live in Redis, one hash per operation and day with a 30-day TTL', async () => {
    const raw = redis.client();
    const key = `zpe:gw:callers:getJobStatus:${today}`;
    expect(await raw.hgetall(key)).toEqual({ 'user:alice': '2' });
    const ttl = await raw.ttl(key);
    expect(ttl).toBeGreaterThan(29 * 24 * 3600);
    expect(ttl).toBeLessThanOrEqual(30 * 24 * 3600);
  });

  it('only the admin reads them; a bad look-back is a 400 in the envelope', async () => {
    const anonymous = await gateway.call('GET', '/admin/callers');
    expect(anonymous.status).toBe(401);
    expect(anonymous.json.error?.code).toBe('unauthorized');
    const bad = await gateway.call('GET', '/admin/callers?days=31', { bearer: ADMIN_TOKEN });
    expect(bad.status).toBe(400);
    expect(bad.json.error?.message).toBe("days must be a whole number from 1 to 30, not '31'");
  });

  it('retire status shows them, read from Redis', async () => {
    const where = ['--root', deprecated.root, '--manifest', deprecated.manifestPath];
    const text = await retire(['status', ...where, '--today', today], { ZPE_REDIS_URL: redis.url });
    expect(text.code).toBe(0);
    expect(text.out).toContain('callers: from Redis, last 7 days');
    expect(text.out).toMatch(
      /getJobStatus \(GET \/api\/zpe\/jobs\/\{job_id\}\) +deprecated 2026-11-16, sunset 2027-03-01 +user:alice 2/,
    );
    const json = await retire(['status', ...where, '--json', '--today', today], { ZPE_REDIS_URL: redis.url });
    const status = JSON.parse(json.out) as { items: { id: string; operations: { id: string; callers: unknown }[] }[] };
    const ops = status.items.find((i) => i.id === 'legacy-endpoints-removed')?.operations ?? [];
    expect(ops.find((o) => o.id === 'listQueueTargets')?.callers).toEqual({ 'user:bob': 1 });
  });

  it('retire close refuses while callers were seen in the quiet period, naming them', async () => {
    const repo = await deprecatedRepo();
    try {
      const run = await retire(
        ['close', 'legacy-endpoints-removed', '--reason', 'r', '--root', repo.root, '--today', today],
        { ZPE_REDIS_URL: redis.url, ZPE_RETIRE_QUIET_DAYS: '3' },
      );
      expect(run.code).toBe(1);
      expect(run.err).toContain('  - callers seen in the last 3 days: getJobStatus: user:alice 2; leaseJob: ');
      expect(run.err).toContain('listQueueTargets: user:bob 1; getOpsFlags: admin 1');
    } finally {
      repo.cleanup();
    }
  });

  it('with Redis unreachable the callers are unknown, and unknown is not quiet', async () => {
    const url = await deadRedisUrl();
    const repo = await deprecatedRepo();
    try {
      const where = ['--root', repo.root, '--manifest', repo.manifestPath];
      const status = await retire(['status', ...where, '--today', today], { ZPE_REDIS_URL: url });
      expect(status.code).toBe(0);
      expect(status.out).toContain('callers: unknown (redis unreachable)');
      const close = await retire(['close', 'legacy-endpoints-removed', '--reason', 'r', '--root', repo.root], {
        ZPE_REDIS_URL: url,
      });
      expect(close.code).toBe(1);
      expect(close.err).toContain('  - callers: unknown (redis unreachable)');
    } finally {
      repo.cleanup();
    }
  });
});

describe('counting stays off the request path', () => {
  it('answers while Redis hangs; the count is dropped and counted, not waited for', async () => {
    const redis = await startRedis();
    const client = createRedis(redis.url, 1000);
    client.on('error', () => {});
    try {
      const config = loadConfig({ AUTH_MODE: 'dev-bypass', ZPE_REDIS_URL: redis.url });
      const retirement = gatewayLifecycle({
        config,
        admin: createAdminAuthenticator(ADMIN_TOKEN),
        logger: silentLogger,
        parts: { manifest: deprecatedManifest(), callerStore: redisCallerStore(client) },
      });
      const app = createGateway({
        // The caller is verified (dev-bypass), then the backend fails: a verified caller is counted.
        dispatch: async (call) => {
          await createUserAuthenticator(config.auth).authenticate(call.request);
          throw new ApiError(503, 'no backend in this test');
        },
        logger: silentLogger,
        maxBodyBytes: 1024,
        lifecycle: retirement.options,
      });
      await client.ping();
      redis.pause();
      const answer = await app.request('/api/zpe/jobs/j1', { headers: { 'x-dev-user-id': 'carol' } });
      expect(answer.status).toBe(503);
      expect(answer.headers.get('deprecation')).not.toBeNull();
      expect(retirement.callers.failures(), 'the count was still pending when the answer went out').toBe(0);
      // Counts are written in batches; the write that Redis never answers is dropped and counted.
      await retirement.callers.flush();
      expect(retirement.callers.failures()).toBe(1);
    } finally {
      redis.resume();
      client.disconnect();
      await redis.stop();
    }
  });
});

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  ADMIN_TOKEN,
  type Answer,
  type Json,
  type LegacyGateway,
  startLegacyGateway,
  startRedisOnPort,
} from '../support/legacy-fixture.js';
import { until } from '../support/until.js';

/**
 * Redis hung or gone: legacy routes answer 503 'redis unavailable' within the Redis timeout, the
 * process stays up, and it serves again as soon as Redis is back, with nothing restarted.
 */

const TIMEOUT_MS = 300;
/** Scheduling slack on a busy machine; the point is "bounded", not "instant". */
const MARGIN_MS = 1000;

let gw: LegacyGateway;
let worker: { id: string; worker_token: string };

beforeAll(async () => {
  gw = await startLegacyGateway({ ZPE_REDIS_TIMEOUT_MS: String(TIMEOUT_MS) });
  worker = await gw.registerWorker('alice');
});
afterAll(() => gw?.close());

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await work();
  return [value, performance.now() - started];
}

const UNAVAILABLE = { error: { code: 'service_unavailable', message: 'redis unavailable' } };

/** All at once: each answers 503 'redis unavailable' within the timeout plus the margin. */
async function expectAllUnavailable(operations: (() => Promise<Answer<Json>>)[]) {
  const answers = await Promise.all(operations.map((operation) => timed(operation)));
  for (const [answer, ms] of answers) {
    expect(answer.status, answer.text).toBe(503);
    expect(answer.json).toEqual(UNAVAILABLE);
    expect(ms).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
  }
}

function everyOperation(jobId: string) {
  return [
    () => gw.call('POST', '/api/zpe/jobs', { user: 'alice', body: { content: 'x', mobile_indices: [0] } }),
    () => gw.call('GET', `/api/zpe/jobs/${jobId}`, { user: 'alice' }),
    () => gw.call('GET', `/api/zpe/jobs/${jobId}/result`, { user: 'alice' }),
    () => gw.call('GET', `/api/zpe/jobs/${jobId}/files?kind=freqs`, { user: 'alice' }),
    () => gw.call('POST', '/api/zpe/compute/enroll-tokens', { user: 'alice', body: {} }),
    () => gw.call('POST', '/api/zpe/compute/servers', { body: { token: 'some-token' } }),
    () => gw.call('DELETE', '/api/zpe/compute/servers/compute-elsewhere', { bearer: ADMIN_TOKEN }),
    () => gw.lease(worker.worker_token),
    () =>
      gw.call('POST', `/api/zpe/compute/jobs/${jobId}/result`, {
        bearer: worker.worker_token,
        body: { lease_id: 'x', result: {}, summary_text: '', freqs_csv: '' },
      }),
    () =>
      gw.call('POST', `/api/zpe/compute/jobs/${jobId}/failed`, {
        bearer: worker.worker_token,
        body: { lease_id: 'x', error_code: 'E', error_message: 'm' },
      }),
    () => gw.call('GET', '/api/zpe/targets', { user: 'alice' }),
    () => gw.call('PUT', '/api/zpe/targets/qt-x/active', { user: 'alice' }),
  ];
}

describe('Redis hung (process paused)', () => {
  test('every operation answers 503 within the timeout; all serve again once Redis resumes', async () => {
    // Every route once while Redis is up, so first-call costs (connections, schema compilation) are not timed.
    await Promise.all(everyOperation('http-00000000000000000000000000000000').map((operation) => operation()));
    const jobId = await gw.submit('alice');
    gw.redis.pause();
    try {
      await expectAllUnavailable(everyOperation(jobId));
      expect((await gw.backend.check().catch((err: Error) => err.message)) !== 'ok').toBe(true);
    } finally {
      gw.redis.resume();
    }
    await until(async () => (await gw.call('GET', `/api/zpe/jobs/${jobId}`, { user: 'alice' })).status === 200, 5000);
    // A command that timed out still ran once Redis resumed: the lease sent during the pause may have
    // leased the job to nobody. The expired-lease sweep gives it back: the accepted job is not lost.
    // (A lease ends up to 2 s after its TTL: its end is rounded up, plus a grace second.)
    gw.clock.offsetSeconds = gw.config.ttl.lease + 3;
    const lease = await gw.lease(worker.worker_token);
    expect(lease.json).toMatchObject({ job_id: jobId });
    expect(await gw.backend.check()).toBe('ok');
  });
});

describe('Redis stopped, then started again on the same port', () => {
  test('503 quickly while it is down; requests succeed again without restarting the gateway', async () => {
    await gw.redis.stop();
    let restarted: { stop(): Promise<void> } | undefined;
    try {
      await expectAllUnavailable(everyOperation('http-00000000000000000000000000000000'));

      restarted = await startRedisOnPort(gw.redis.port);
      // A fresh, empty Redis: its script cache is empty too, so this also proves the scripts load again.
      await until(
        async () =>
          (await gw.call('POST', '/api/zpe/compute/enroll-tokens', { user: 'alice', body: {} })).status === 200,
        10_000,
        50,
      );
      const fresh = await gw.registerWorker('alice');
      const jobId = await gw.submit('alice');
      const lease = await gw.lease(fresh.worker_token);
      expect(lease.json).toMatchObject({ job_id: jobId });
    } finally {
      await restarted?.stop();
    }
  });
});

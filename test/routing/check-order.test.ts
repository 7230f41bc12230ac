import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Answer,
  enqueueRaw,
  type Json,
  type LegacyGateway,
  SMALL_INPUT,
  startLegacyGateway,
} from '../support/legacy-fixture.js';

/**
 * The legacy's order of checks when the gateway answers a flag itself (legacy-http-behaviour.md, "Check
 * order"): request validation, then identity (user, owner, worker), then the flag; enroll-tokens checks
 * its flag first; a lease checks the worker, then the flag, then dequeue_enabled.
 */

const error = (answer: Answer<Json>) => answer.json.error as { code: string; message: string } | undefined;

function expectRefused(answer: Answer<Json>, status: number, message?: string) {
  expect(answer.status, answer.text).toBe(status);
  if (message !== undefined) expect(error(answer)?.message).toBe(message);
}

describe('with the flags off and no next-gen', () => {
  let gw: LegacyGateway;
  let workerToken: string;
  let aliceJob: string;

  beforeAll(async () => {
    gw = await startLegacyGateway({
      ZPE_DEQUEUE_ENABLED: 'false',
      ZPE_SUBMISSION_ENABLED: 'false',
      ZPE_CUTOVER_RESULT_READ_SOURCE: 'projection',
    });
    workerToken = (await gw.registerWorker('alice')).worker_token;
    aliceJob = (await enqueueRaw(gw.raw, 'alice', 1))[0]!;
  });
  afterAll(() => gw?.close());

  it('lease while dequeue is disabled: a bad or missing worker token is 401, a good one 204', async () => {
    expectRefused(await gw.lease('a-token-nobody-issued'), 401);
    expectRefused(await gw.call('POST', '/api/zpe/compute/jobs/lease'), 401);
    const good = await gw.lease(workerToken);
    expect(good.status).toBe(204);
    expect(good.text).toBe('');
  });

  it('a revoked worker token is refused before dequeue_enabled', async () => {
    const revoked = (await gw.registerWorker('alice')).worker_token;
    const hash = createHash('sha256').update(revoked).digest('hex');
    await gw.raw.zadd('zpe:revoked_tokens', Math.floor(Date.now() / 1000), hash);
    expectRefused(await gw.lease(revoked), 403);
  });

  it('submissions disabled: no user is 401, a user gets the flag', async () => {
    const body = { content: SMALL_INPUT, mobile_indices: [2] };
    expectRefused(await gw.call('POST', '/api/zpe/jobs', { body }), 401);
    expectRefused(await gw.call('POST', '/api/zpe/jobs', { user: 'alice', body }), 503, 'zpe submissions disabled');
  });

  it('request validation still comes first: a malformed submission is 422 with no user and the flag off', async () => {
    expectRefused(await gw.call('POST', '/api/zpe/jobs', { body: { mobile_indices: 'x' } }), 422);
  });

  it('job reads sent to a missing projection: user, then owner (404, 403), then the flag', async () => {
    for (const path of [`/api/zpe/jobs/${aliceJob}`, `/api/zpe/jobs/${aliceJob}/result`]) {
      expectRefused(await gw.call('GET', path), 401);
      expectRefused(await gw.call('GET', path, { user: 'bob' }), 403);
      expectRefused(await gw.call('GET', path, { user: 'alice' }), 503, 'result read source not available');
    }
    expectRefused(await gw.call('GET', '/api/zpe/jobs/http-unknown', { user: 'alice' }), 404, 'job not found');
    expectRefused(await gw.call('GET', `/api/zpe/jobs/${aliceJob}/files?kind=summary`, { user: 'bob' }), 403);
  });
});

describe('submission_route=next-gen with no next-gen, and submissions disabled', () => {
  let gw: LegacyGateway;
  beforeAll(async () => {
    gw = await startLegacyGateway({ ZPE_SUBMISSION_ENABLED: 'false', ZPE_CUTOVER_SUBMISSION_ROUTE: 'next-gen' });
  });
  afterAll(() => gw?.close());

  it('the route is refused before submission_enabled, after the user', async () => {
    const body = { content: SMALL_INPUT, mobile_indices: [2] };
    expectRefused(await gw.call('POST', '/api/zpe/jobs', { body }), 401);
    expectRefused(
      await gw.call('POST', '/api/zpe/jobs', { user: 'alice', body }),
      503,
      'submission route not available',
    );
  });
});

describe('legacy worker endpoints disabled, no next-gen', () => {
  let gw: LegacyGateway;
  const workerToken = 'a-worker-token-written-straight-into-redis';
  beforeAll(async () => {
    gw = await startLegacyGateway({ ZPE_LEGACY_WORKER_ENDPOINTS_ENABLED: 'false', ZPE_DEQUEUE_ENABLED: 'false' });
    const hash = createHash('sha256').update(workerToken).digest('hex');
    await gw.raw.hset(`zpe:token:${hash}`, 'worker_id', 'compute-1', 'revoked_at', '');
  });
  afterAll(() => gw?.close());

  const flag = 'legacy worker endpoints disabled by cutover flag';
  const result = { lease_id: 'l', result: {}, summary_text: '', freqs_csv: '' };
  const failure = { lease_id: 'l', error_code: 'E', error_message: 'm' };

  it('worker operations: a bad token is 401, a good one gets the flag (before dequeue_enabled)', async () => {
    expectRefused(await gw.lease('nobody'), 401);
    expectRefused(await gw.lease(workerToken), 503, flag);
    const path = '/api/zpe/compute/jobs/http-x';
    expectRefused(await gw.call('POST', `${path}/result`, { bearer: 'nobody', body: result }), 401);
    expectRefused(await gw.call('POST', `${path}/result`, { bearer: workerToken, body: result }), 503, flag);
    expectRefused(await gw.call('POST', `${path}/failed`, { bearer: 'nobody', body: failure }), 401);
    expectRefused(await gw.call('POST', `${path}/failed`, { bearer: workerToken, body: failure }), 503, flag);
  });

  it('enroll-tokens checks its flag before the caller', async () => {
    expectRefused(await gw.call('POST', '/api/zpe/compute/enroll-tokens', { body: {} }), 503, flag);
  });

  it('registration takes no credentials: the flag answers', async () => {
    expectRefused(await gw.call('POST', '/api/zpe/compute/servers', { body: { token: 'x' } }), 503, flag);
  });
});

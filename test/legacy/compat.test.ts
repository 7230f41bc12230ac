import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { ADMIN_TOKEN, type LegacyGateway, RESULT, SMALL_INPUT, startLegacyGateway } from '../support/legacy-fixture.js';

/**
 * Both directions of the shared Redis: keys written here exactly as the existing control plane writes
 * them (Python's json.dumps spacing, isoformat timestamps) are used through the gateway, and what the
 * gateway writes is read back raw and checked against the layout.
 */

let gw: LegacyGateway;
const DAY7 = 604800;

beforeAll(async () => {
  gw = await startLegacyGateway();
});
afterAll(() => gw?.close());
beforeEach(() => gw.raw.flushdb());

/** Python's isoformat(): six fraction digits, none when the microseconds are 0. */
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?\+00:00$/;
const HEX32 = /^[0-9a-f]{32}$/;
const BASE64URL_32_BYTES = /^[A-Za-z0-9_-]{43}$/;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** Python's json.dumps: ", " and ": " separators. */
const pyJson = (value: unknown) => JSON.stringify(value).replaceAll('","', '", "').replaceAll('":', '": ');

async function expectTtl(key: string, seconds: number) {
  const ttl = await gw.raw.ttl(key);
  expect(ttl, key).toBeGreaterThan(seconds - 5);
  expect(ttl, key).toBeLessThanOrEqual(seconds);
}

/** A worker token as the legacy issues it. */
async function legacyWorkerToken(workerId: string): Promise<string> {
  const token = 'legacy-token-of-43-chars-abcdefghijklmnopqr';
  const hash = sha256(token);
  await gw.raw.hset(`zpe:token:${hash}`, {
    worker_id: workerId,
    created_at: '2026-02-15T09:30:00.123456+00:00',
    expires_at: '2026-02-22T09:30:00.123456+00:00',
    label: 'legacy box',
    revoked_at: '',
  });
  await gw.raw.expire(`zpe:token:${hash}`, DAY7);
  await gw.raw.sadd(`zpe:worker_tokens:${workerId}`, hash);
  return token;
}

/** A job as the legacy enqueues it, with no meta key. */
async function legacyJob(jobId: string, owner: string) {
  const payload = {
    calc_type: 'qe.zpe.v1',
    content: SMALL_INPUT,
    mobile_indices: [2, 3],
    use_environ: false,
    input_dir: null,
    calc_mode: 'continue',
    structure_id: null,
  };
  await gw.raw.set(`zpe:payload:${jobId}`, pyJson(payload), 'EX', DAY7);
  await gw.raw.lpush('zpe:queue', jobId);
  await gw.raw.hset(`zpe:status:${jobId}`, {
    status: 'queued',
    detail: '',
    updated_at: '2026-02-15T09:30:00.123456+00:00',
  });
  await gw.raw.set(`zpe:job:owner:${jobId}`, owner, 'EX', DAY7);
  return payload;
}

describe('the legacy writes, the gateway reads and acts', () => {
  test('a job enqueued by the legacy (other id shape, no meta) is leased and finished with a legacy worker token', async () => {
    const jobId = 'mock-7f3a';
    const payload = await legacyJob(jobId, 'alice');
    const token = await legacyWorkerToken('compute-legacy');

    const lease = await gw.lease(token);
    expect(lease.status).toBe(200);
    // The payload as the legacy leases it: re-validated, nulls left out.
    const { input_dir: _dir, structure_id: _structure, ...sent } = payload;
    expect(lease.json).toMatchObject({ job_id: jobId, meta: {}, lease_ttl_seconds: 600 });
    expect(lease.json.payload).toEqual(sent);
    expect(await gw.raw.hget(`zpe:lease:${jobId}`, 'worker_id')).toBe('compute-legacy');

    const body = { lease_id: lease.json.lease_id, result: RESULT, summary_text: 's', freqs_csv: 'f' };
    const stored = await gw.call('POST', `/api/zpe/compute/jobs/${jobId}/result`, { bearer: token, body });
    expect(stored.json).toEqual({ ok: true, idempotent: false });
    const status = await gw.call('GET', `/api/zpe/jobs/${jobId}`, { user: 'alice' });
    expect(status.json).toMatchObject({ status: 'finished', detail: null });
  });

  test('a result stored by the legacy with `kpts` and an empty detail reads with `kpoints` and no detail', async () => {
    const jobId = 'http-0123456789abcdef0123456789abcdef';
    const { kpoints, ...rest } = RESULT;
    await gw.raw.set(`zpe:result:${jobId}`, pyJson({ ...rest, kpts: kpoints }), 'EX', DAY7);
    await gw.raw.set(`zpe:summary:${jobId}`, 'legacy summary', 'EX', DAY7);
    await gw.raw.set(`zpe:freqs:${jobId}`, 'mode,freq\n', 'EX', DAY7);
    await gw.raw.hset(`zpe:status:${jobId}`, {
      status: 'finished',
      detail: '',
      updated_at: '2026-02-15T09:30:00+00:00',
    });
    await gw.raw.set(`zpe:job:owner:${jobId}`, 'alice');

    expect((await gw.call('GET', `/api/zpe/jobs/${jobId}`, { user: 'alice' })).json).toEqual({
      status: 'finished',
      detail: null,
      updated_at: '2026-02-15T09:30:00+00:00',
    });
    expect((await gw.call('GET', `/api/zpe/jobs/${jobId}/result`, { user: 'alice' })).json).toEqual({
      result: { ...RESULT, ecutwfc: null, ecutrho: null },
    });
    expect((await gw.call('GET', `/api/zpe/jobs/${jobId}/files?kind=summary`, { user: 'alice' })).text).toBe(
      'legacy summary',
    );

    // Reported again under the other name (`kpoints`): not the stored bytes, so 409, as the legacy answers.
    const token = await legacyWorkerToken('compute-legacy');
    const again = await gw.call('POST', `/api/zpe/compute/jobs/${jobId}/result`, {
      bearer: token,
      body: { lease_id: 'gone', result: RESULT, summary_text: 'legacy summary', freqs_csv: 'mode,freq\n' },
    });
    expect(again.json).toEqual({ error: { code: 'conflict', message: 'result already submitted' } });
  });

  test('legacy queue targets, enrollment tokens and revocations are honoured', async () => {
    const target = {
      target_id: 'qt-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      user_id: 'alice',
      queue_name: 'legacy-q',
      server_id: 'compute-legacy',
      registered_at: '2026-02-15T09:30:00.123456+00:00',
      name: null,
    };
    await gw.raw.set(`zpe:queue:target:${target.target_id}`, pyJson(target));
    await gw.raw.rpush('zpe:queue:targets:alice', target.target_id);
    await gw.raw.set('zpe:queue:active:alice', target.target_id);
    const list = await gw.call('GET', '/api/zpe/targets', { user: 'alice' });
    expect(list.json).toEqual({
      targets: [
        {
          id: target.target_id,
          queue_name: 'legacy-q',
          server_id: 'compute-legacy',
          registered_at: target.registered_at,
          name: null,
        },
      ],
      active_target_id: target.target_id,
      pagination: { total: 1, limit: 50, offset: 0 },
    });
    const jobId = await gw.submit('alice');
    expect(JSON.parse((await gw.raw.get(`zpe:job:meta:${jobId}`))!).queue_name).toBe('legacy-q');

    await gw.raw.hset('zpe:enroll:legacy-enroll-token', {
      created_at: target.registered_at,
      label: '',
      owner_id: 'bob',
    });
    const registered = await gw.call('POST', '/api/zpe/compute/servers', { body: { token: 'legacy-enroll-token' } });
    expect(registered.status).toBe(200);
    expect(await gw.raw.lrange('zpe:queue:targets:bob', 0, -1)).toHaveLength(1);

    const token = await legacyWorkerToken('compute-legacy');
    await gw.raw.zadd('zpe:revoked_tokens', Math.floor(Date.now() / 1000), sha256(token));
    const refused = await gw.lease(token);
    expect(refused.status).toBe(403);
    expect(refused.json).toEqual({ error: { code: 'forbidden', message: 'token revoked' } });
  });

  test('a legacy lease that expired, its hash already gone, is requeued instead of lost', async () => {
    const jobId = 'http-ffffffffffffffffffffffffffffffff';
    await legacyJob(jobId, 'alice');
    await gw.raw.rpop('zpe:queue');
    await gw.raw.hset(`zpe:status:${jobId}`, 'status', 'started');
    await gw.raw.zadd('zpe:lease:index', Math.floor(Date.now() / 1000) - 1, jobId);

    const token = await legacyWorkerToken('compute-legacy');
    const lease = await gw.lease(token);
    expect(lease.json).toMatchObject({ job_id: jobId });
    expect(await gw.raw.hgetall(`zpe:status:${jobId}`)).toMatchObject({ status: 'queued', detail: 'lease expired' });
  });
});

/** Redis types of the keys, as the layout names them. */
async function expectTypes(types: Record<string, string>) {
  const actual = Object.fromEntries(await Promise.all(Object.keys(types).map(async (k) => [k, await gw.raw.type(k)])));
  expect(actual).toEqual(types);
}

describe('the gateway writes, the legacy reads', () => {
  test('every key has the layout’s Redis type', async () => {
    const worker = await gw.registerWorker('alice');
    const leased = await gw.submit('alice');
    const failed = await gw.submit('alice');
    const first = await gw.lease(worker.worker_token);
    const second = await gw.lease(worker.worker_token);
    await gw.call('POST', `/api/zpe/compute/jobs/${failed}/failed`, {
      bearer: worker.worker_token,
      body: { lease_id: (second.json as { lease_id: string }).lease_id, error_code: 'E', error_message: 'm' },
    });
    expect((first.json as { job_id: string }).job_id).toBe(leased);
    const enrollToken = await gw.enroll('bob');
    await gw.call('DELETE', `/api/zpe/compute/servers/${worker.id}`, { bearer: ADMIN_TOKEN });
    const targetId = (await gw.raw.get('zpe:queue:active:alice'))!;
    const hash = sha256(worker.worker_token);
    await expectTypes({
      'zpe:queue': 'none', // empty lists do not exist in Redis
      [`zpe:payload:${leased}`]: 'string',
      [`zpe:status:${leased}`]: 'hash',
      [`zpe:job:owner:${leased}`]: 'string',
      [`zpe:job:meta:${leased}`]: 'string',
      [`zpe:lease:${leased}`]: 'hash',
      'zpe:lease:index': 'zset',
      [`zpe:retry_count:${failed}`]: 'string',
      'zpe:delay': 'zset',
      [`zpe:enroll:${enrollToken}`]: 'hash',
      [`zpe:compute:server:${worker.id}`]: 'hash',
      [`zpe:token:${hash}`]: 'hash',
      [`zpe:worker_tokens:${worker.id}`]: 'set',
      'zpe:revoked_tokens': 'zset',
      [`zpe:queue:target:${targetId}`]: 'string',
      'zpe:queue:targets:alice': 'list',
      'zpe:queue:active:alice': 'string',
    });
    await gw.submit('alice');
    await expectTypes({ 'zpe:queue': 'list' });
  });

  test('enroll and register: hashes, sets, target JSON, TTLs and value formats', async () => {
    const enrolled = await gw.call<{ token: string }>('POST', '/api/zpe/compute/enroll-tokens', {
      user: 'alice',
      body: { label: 'rack 4' },
    });
    const enrollToken = enrolled.json.token;
    expect(enrollToken).toMatch(BASE64URL_32_BYTES);
    const enroll = await gw.raw.hgetall(`zpe:enroll:${enrollToken}`);
    expect(Object.keys(enroll).sort()).toEqual(['created_at', 'label', 'owner_id']);
    expect(enroll.created_at).toMatch(ISO);
    await expectTtl(`zpe:enroll:${enrollToken}`, 3600);

    const registered = await gw.call<{ id: string; worker_token: string; registered_at: string }>(
      'POST',
      '/api/zpe/compute/servers',
      { body: { token: enrollToken, name: 'box', queue_name: 'q1', meta: { gpus: 2 } } },
    );
    const { id, worker_token: workerToken } = registered.json;
    expect(id).toMatch(/^compute-[0-9a-f]{32}$/);
    expect(workerToken).toMatch(BASE64URL_32_BYTES);
    expect(await gw.raw.exists(`zpe:enroll:${enrollToken}`)).toBe(0);

    expect(await gw.raw.type(`zpe:compute:server:${id}`)).toBe('hash');
    expect(await gw.raw.hgetall(`zpe:compute:server:${id}`)).toEqual({
      registered_at: registered.json.registered_at,
      name: 'box',
      meta: '{"gpus": 2}',
    });
    expect(await gw.raw.ttl(`zpe:compute:server:${id}`)).toBe(-1);

    const hash = sha256(workerToken);
    const token = await gw.raw.hgetall(`zpe:token:${hash}`);
    expect(Object.keys(token).sort()).toEqual(['created_at', 'expires_at', 'label', 'revoked_at', 'worker_id']);
    // Labelled with the server name, not the enrollment label, as the legacy does.
    expect(token).toMatchObject({ worker_id: id, label: 'box', revoked_at: '' });
    expect(token.created_at).toMatch(ISO);
    expect(token.expires_at).toMatch(ISO);
    expect(Date.parse(token.expires_at!) - Date.parse(token.created_at!)).toBe(DAY7 * 1000);
    await expectTtl(`zpe:token:${hash}`, DAY7);
    expect(await gw.raw.smembers(`zpe:worker_tokens:${id}`)).toEqual([hash]);
    await expectTtl(`zpe:worker_tokens:${id}`, DAY7);

    const [targetId] = await gw.raw.lrange('zpe:queue:targets:alice', 0, -1);
    expect(targetId).toMatch(/^qt-[0-9a-f]{32}$/);
    expect(await gw.raw.get('zpe:queue:active:alice')).toBe(targetId);
    const targetJson = (await gw.raw.get(`zpe:queue:target:${targetId}`))!;
    expect(Object.keys(JSON.parse(targetJson))).toEqual([
      'target_id',
      'user_id',
      'queue_name',
      'server_id',
      'registered_at',
      'name',
    ]);
    expect(JSON.parse(targetJson)).toEqual({
      target_id: targetId,
      user_id: 'alice',
      queue_name: 'q1',
      server_id: id,
      registered_at: registered.json.registered_at,
      name: 'box',
    });

    const revoked = await gw.call('DELETE', `/api/zpe/compute/servers/${id}`, { bearer: ADMIN_TOKEN });
    expect(revoked.json).toEqual({ revoked_count: 1 });
    expect(await gw.raw.hget(`zpe:token:${hash}`, 'revoked_at')).toMatch(ISO);
    const score = Number(await gw.raw.zscore('zpe:revoked_tokens', hash));
    expect(Math.abs(score - Date.now() / 1000)).toBeLessThan(5);
    expect(Number.isInteger(score)).toBe(true);
    await expectTtl('zpe:revoked_tokens', 2 * DAY7);
  });

  test('submit, lease, result: payload, queue, status, owner, meta, lease and result keys', async () => {
    const worker = await gw.registerWorker('alice');
    // No structure id: the gateway has no structure store, so a non-empty one answers 404 (an absent one is null).
    const jobId = await gw.submit('alice', { input_dir: '/data/in', use_environ: true });
    expect(jobId).toMatch(/^http-[0-9a-f]{32}$/);

    expect(await gw.raw.lrange('zpe:queue', 0, -1)).toEqual([jobId]);
    const payload = JSON.parse((await gw.raw.get(`zpe:payload:${jobId}`))!);
    expect(Object.keys(payload)).toEqual([
      'calc_type',
      'content',
      'mobile_indices',
      'use_environ',
      'input_dir',
      'calc_mode',
      'structure_id',
    ]);
    expect(payload).toMatchObject({ input_dir: '/data/in', use_environ: true, structure_id: null });
    const status = await gw.raw.hgetall(`zpe:status:${jobId}`);
    expect(status).toEqual({ status: 'queued', detail: '', updated_at: expect.stringMatching(ISO) });
    expect(await gw.raw.get(`zpe:job:owner:${jobId}`)).toBe('alice');
    const meta = JSON.parse((await gw.raw.get(`zpe:job:meta:${jobId}`))!);
    expect(Object.keys(meta).sort()).toEqual(['calc_mode', 'queue_name', 'request_id', 'structure_id', 'user_id']);
    expect(meta).toMatchObject({ user_id: 'alice', structure_id: null });
    for (const key of ['payload', 'status', 'job:owner', 'job:meta']) await expectTtl(`zpe:${key}:${jobId}`, DAY7);

    const lease = await gw.lease(worker.worker_token);
    const leaseId = (lease.json as { lease_id: string }).lease_id;
    expect(leaseId).toMatch(HEX32);
    expect(await gw.raw.hgetall(`zpe:lease:${jobId}`)).toEqual({
      worker_id: worker.id,
      lease_id: leaseId,
      expires_at: expect.stringMatching(ISO),
    });
    // The hash outlives the lease (a legacy sweep requeues only while it exists); the score never falls early.
    await expectTtl(`zpe:lease:${jobId}`, DAY7);
    const score = Number(await gw.raw.zscore('zpe:lease:index', jobId));
    expect(Number.isInteger(score)).toBe(true);
    expect(score).toBeGreaterThanOrEqual(Date.now() / 1000 + 600);
    expect(score - (Date.now() / 1000 + 600)).toBeLessThan(5);
    expect(await gw.raw.hget(`zpe:status:${jobId}`, 'status')).toBe('queued');

    await gw.call('POST', `/api/zpe/compute/jobs/${jobId}/result`, {
      bearer: worker.worker_token,
      body: { lease_id: leaseId, result: RESULT, summary_text: 'S', freqs_csv: 'F' },
    });
    expect(JSON.parse((await gw.raw.get(`zpe:result:${jobId}`))!)).toEqual(RESULT);
    expect(await gw.raw.get(`zpe:summary:${jobId}`)).toBe('S');
    expect(await gw.raw.get(`zpe:freqs:${jobId}`)).toBe('F');
    for (const key of ['result', 'summary', 'freqs', 'status']) await expectTtl(`zpe:${key}:${jobId}`, DAY7);
    expect(await gw.raw.hgetall(`zpe:status:${jobId}`)).toMatchObject({ status: 'finished', detail: '' });
    expect(await gw.raw.exists(`zpe:lease:${jobId}`)).toBe(0);
    expect(await gw.raw.zscore('zpe:lease:index', jobId)).toBeNull();
  });

  test('failure: retry count, delay score, dead-letter list', async () => {
    const worker = await gw.registerWorker('alice');
    const jobId = await gw.submit('alice');
    const lease = await gw.lease(worker.worker_token);
    const before = Math.floor(Date.now() / 1000);
    await gw.call('POST', `/api/zpe/compute/jobs/${jobId}/failed`, {
      bearer: worker.worker_token,
      body: { lease_id: (lease.json as { lease_id: string }).lease_id, error_code: 'E', error_message: 'boom' },
    });
    expect(await gw.raw.get(`zpe:retry_count:${jobId}`)).toBe('1');
    await expectTtl(`zpe:retry_count:${jobId}`, DAY7);
    const due = Number(await gw.raw.zscore('zpe:delay', jobId));
    expect(due - before).toBeGreaterThanOrEqual(10);
    expect(due - before).toBeLessThanOrEqual(11);
    expect(await gw.raw.hgetall(`zpe:status:${jobId}`)).toMatchObject({
      status: 'queued',
      detail: 'requeue in 10s (E: boom)',
    });
    expect(await gw.raw.exists(`zpe:lease:${jobId}`)).toBe(0);
    expect(await gw.raw.zcard('zpe:lease:index')).toBe(0);
  });
});

import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { ADMIN_TOKEN, type LegacyGateway, RESULT, SMALL_INPUT, startLegacyGateway } from '../support/legacy-fixture.js';

let gw: LegacyGateway;

beforeAll(async () => {
  gw = await startLegacyGateway({ ZPE_RETRY_MAX: '2', ZPE_RETRY_BASE_DELAY_SECONDS: '1' });
});
afterAll(() => gw?.close());
beforeEach(async () => {
  await gw.raw.flushdb();
  gw.clock.offsetSeconds = 0;
});

const SUMMARY = 'ZPE = 0.0284 eV\n';
const FREQS = 'mode,freq_cm\n1,120.5\n2,340.25\n';

type Lease = { job_id: string; lease_id: string; payload: Record<string, unknown>; meta: Record<string, unknown> };

async function leaseOne(token: string): Promise<Lease> {
  const answer = await gw.lease(token);
  expect(answer.status).toBe(200);
  return answer.json as Lease;
}

const report = (token: string, jobId: string, body: unknown) =>
  gw.call('POST', `/api/zpe/compute/jobs/${jobId}/result`, { bearer: token, body });
const fail = (token: string, jobId: string, leaseId: string) =>
  gw.call('POST', `/api/zpe/compute/jobs/${jobId}/failed`, {
    bearer: token,
    body: { lease_id: leaseId, error_code: 'QE_CRASH', error_message: 'pw.x exited 1' },
  });

describe('a job from submission to result', () => {
  test('enroll -> register -> submit -> lease -> result -> status, result, files', async () => {
    const worker = await gw.registerWorker('alice');
    // A non-empty structure_id names the legacy's in-process store, which the gateway has not: "" is absent.
    const jobId = await gw.submit('alice', { mobile_indices: [3, 2, 3], structure_id: '', calc_mode: 'new' });
    expect(jobId).toMatch(/^http-[0-9a-f]{32}$/);

    const queued = await gw.call('GET', `/api/zpe/jobs/${jobId}`, { user: 'alice' });
    expect(queued.status).toBe(200);
    expect(queued.json).toMatchObject({ status: 'queued', detail: null });
    const notYet = await gw.call('GET', `/api/zpe/jobs/${jobId}/result`, { user: 'alice' });
    expect(notYet.status).toBe(409);
    expect(notYet.json).toEqual({ error: { code: 'conflict', message: 'job not finished (status=queued)' } });

    const lease = await leaseOne(worker.worker_token);
    expect(lease.job_id).toBe(jobId);
    expect(lease.lease_id).toMatch(/^[0-9a-f]{32}$/);
    expect(lease.payload).toEqual({
      calc_type: 'qe.zpe.v1',
      content: SMALL_INPUT,
      mobile_indices: [2, 3],
      use_environ: false,
      calc_mode: 'new',
      structure_id: '',
    });
    // As the legacy leases it: the null input_dir left out.
    expect(Object.keys(lease.payload)).not.toContain('input_dir');
    expect(lease.meta).toMatchObject({ user_id: 'alice', structure_id: '', queue_name: 'zpe', calc_mode: 'new' });
    expect((await gw.lease(worker.worker_token)).status).toBe(204);

    const stored = await report(worker.worker_token, jobId, {
      lease_id: lease.lease_id,
      result: RESULT,
      summary_text: SUMMARY,
      freqs_csv: FREQS,
    });
    expect(stored.json).toEqual({ ok: true, idempotent: false });

    const status = await gw.call('GET', `/api/zpe/jobs/${jobId}`, { user: 'alice' });
    expect(status.json).toMatchObject({ status: 'finished', detail: null });
    expect((status.json as { updated_at: string }).updated_at).toMatch(/\+00:00$/);
    const result = await gw.call('GET', `/api/zpe/jobs/${jobId}/result`, { user: 'alice' });
    expect(result.json).toEqual({ result: { ...RESULT, ecutwfc: null, ecutrho: null } });

    const summary = await gw.call('GET', `/api/zpe/jobs/${jobId}/files?kind=summary`, { user: 'alice' });
    expect(summary.status).toBe(200);
    expect(summary.text).toBe(SUMMARY);
    expect(summary.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(summary.headers.get('content-disposition')).toBe('attachment; filename="summary.txt"');
    const freqs = await gw.call('GET', `/api/zpe/jobs/${jobId}/files?kind=freqs`, { user: 'alice' });
    expect(freqs.text).toBe(FREQS);
    expect(freqs.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(freqs.headers.get('content-disposition')).toBe('attachment; filename="freqs.csv"');
  });

  test('a result reported again: the same bytes are idempotent; another key order, value or file 409 (as the legacy)', async () => {
    const worker = await gw.registerWorker('alice');
    const jobId = await gw.submit('alice');
    const lease = await leaseOne(worker.worker_token);
    const body = { lease_id: lease.lease_id, result: RESULT, summary_text: SUMMARY, freqs_csv: FREQS };
    expect((await report(worker.worker_token, jobId, body)).json).toEqual({ ok: true, idempotent: false });

    const again = await report(worker.worker_token, jobId, { ...body, result: { ...RESULT } });
    expect(again.json).toEqual({ ok: true, idempotent: true });
    const reordered = Object.fromEntries(Object.entries(RESULT).reverse());
    expect((await report(worker.worker_token, jobId, { ...body, result: reordered })).status).toBe(409);

    const changed = await report(worker.worker_token, jobId, { ...body, result: { ...RESULT, zpe_ev: 0.03 } });
    expect(changed.status).toBe(409);
    expect(changed.json).toEqual({ error: { code: 'conflict', message: 'result already submitted' } });
    const otherFile = await report(worker.worker_token, jobId, { ...body, freqs_csv: 'x' });
    expect(otherFile.status).toBe(409);
    expect((await gw.call('GET', `/api/zpe/jobs/${jobId}/result`, { user: 'alice' })).json).toEqual({
      result: { ...RESULT, ecutwfc: null, ecutrho: null },
    });
  });

  test('owner checks: someone else’s job 403, an unknown job 404, on status, result and files', async () => {
    await gw.registerWorker('alice');
    const jobId = await gw.submit('alice');
    for (const path of [
      `/api/zpe/jobs/${jobId}`,
      `/api/zpe/jobs/${jobId}/result`,
      `/api/zpe/jobs/${jobId}/files?kind=summary`,
    ]) {
      const other = await gw.call('GET', path, { user: 'bob' });
      expect(other.status).toBe(403);
      expect(other.json).toEqual({ error: { code: 'forbidden', message: 'forbidden' } });
      const unknown = await gw.call('GET', path.replace(jobId, 'http-00000000000000000000000000000000'), {
        user: 'bob',
      });
      expect(unknown.status).toBe(404);
      expect(unknown.json).toEqual({ error: { code: 'not_found', message: 'job not found' } });
      expect((await gw.call('GET', path)).status).toBe(401);
    }
  });

  test('lease conflicts: another worker, another lease id, no lease', async () => {
    const alice = await gw.registerWorker('alice');
    const other = await gw.registerWorker('alice');
    const jobId = await gw.submit('alice');
    const lease = await leaseOne(alice.worker_token);
    const body = { lease_id: lease.lease_id, result: RESULT, summary_text: SUMMARY, freqs_csv: FREQS };

    const byOther = await report(other.worker_token, jobId, body);
    expect(byOther.json).toEqual({ error: { code: 'conflict', message: 'lease mismatch' } });
    const wrongId = await fail(alice.worker_token, jobId, '0'.repeat(32));
    expect(wrongId.json).toEqual({ error: { code: 'conflict', message: 'lease mismatch' } });
    const noLease = await report(alice.worker_token, 'http-00000000000000000000000000000000', body);
    expect(noLease.json).toEqual({ error: { code: 'conflict', message: 'lease not found' } });
    expect((await gw.call('GET', `/api/zpe/jobs/${jobId}`, { user: 'alice' })).json).toMatchObject({
      status: 'queued',
    });
  });
});

describe('failures', () => {
  test('failure -> requeue after the backoff (1 s, 2 s) -> dead-letter past the limit', async () => {
    const worker = await gw.registerWorker('alice');
    const jobId = await gw.submit('alice');
    // Retries are due on whole seconds: start the gateway's clock just after one, so that the
    // "not yet due" checks below do not straddle a second boundary on a slow machine.
    gw.clock.offsetSeconds = -((Date.now() % 1000) / 1000) + 0.01;

    let lease = await leaseOne(worker.worker_token);
    expect((await fail(worker.worker_token, jobId, lease.lease_id)).json).toEqual({
      ok: true,
      requeued: true,
      retry_count: 1,
    });
    expect((await gw.call('GET', `/api/zpe/jobs/${jobId}`, { user: 'alice' })).json).toMatchObject({
      status: 'queued',
      detail: 'requeue in 1s (QE_CRASH: pw.x exited 1)',
    });
    expect((await gw.lease(worker.worker_token)).status).toBe(204);
    gw.clock.offsetSeconds += 1;
    lease = await leaseOne(worker.worker_token);
    expect(lease.job_id).toBe(jobId);

    expect((await fail(worker.worker_token, jobId, lease.lease_id)).json).toMatchObject({ retry_count: 2 });
    expect((await gw.call('GET', `/api/zpe/jobs/${jobId}`, { user: 'alice' })).json).toMatchObject({
      detail: 'requeue in 2s (QE_CRASH: pw.x exited 1)',
    });
    gw.clock.offsetSeconds += 1;
    expect((await gw.lease(worker.worker_token)).status).toBe(204);
    gw.clock.offsetSeconds += 1;
    lease = await leaseOne(worker.worker_token);

    expect((await fail(worker.worker_token, jobId, lease.lease_id)).json).toEqual({
      ok: true,
      requeued: false,
      retry_count: 3,
    });
    expect(await gw.raw.lrange('zpe:dlq', 0, -1)).toEqual([jobId]);
    expect(await gw.raw.zcard('zpe:delay')).toBe(0);
    expect((await gw.call('GET', `/api/zpe/jobs/${jobId}`, { user: 'alice' })).json).toMatchObject({
      status: 'failed',
      detail: 'QE_CRASH: pw.x exited 1',
    });
    for (const path of [`/api/zpe/jobs/${jobId}/result`, `/api/zpe/jobs/${jobId}/files?kind=freqs`]) {
      const refused = await gw.call('GET', path, { user: 'alice' });
      expect(refused.status).toBe(409);
      expect(refused.json).toEqual({ error: { code: 'conflict', message: 'job failed: QE_CRASH: pw.x exited 1' } });
    }
    gw.clock.offsetSeconds += 3600;
    expect((await gw.lease(worker.worker_token)).status).toBe(204);
  });

  test('a failed job cannot finish: a result for it is refused even with its lease', async () => {
    const worker = await gw.registerWorker('alice');
    const jobId = await gw.submit('alice');
    const lease = await leaseOne(worker.worker_token);
    // Failed by someone else meanwhile (e.g. the legacy control plane), the lease left in place.
    await gw.raw.hset(`zpe:status:${jobId}`, 'status', 'failed', 'detail', 'cancelled');
    const refused = await report(worker.worker_token, jobId, {
      lease_id: lease.lease_id,
      result: RESULT,
      summary_text: SUMMARY,
      freqs_csv: FREQS,
    });
    expect(refused.status).toBe(409);
    expect(refused.json).toEqual({ error: { code: 'conflict', message: 'job failed: cancelled' } });
    expect(await gw.raw.exists(`zpe:result:${jobId}`)).toBe(0);
  });

  test('a job whose payload is missing or corrupted is failed, not leased', async () => {
    const worker = await gw.registerWorker('alice');
    const missing = await gw.submit('alice');
    const corrupted = await gw.submit('alice');
    await gw.raw.del(`zpe:payload:${missing}`);
    await gw.raw.set(`zpe:payload:${corrupted}`, '{"calc_type": "qe.zpe.v1",');
    expect((await gw.lease(worker.worker_token)).status).toBe(204);
    expect((await gw.lease(worker.worker_token)).status).toBe(204);
    expect(await gw.raw.hgetall(`zpe:status:${missing}`)).toMatchObject({
      status: 'failed',
      detail: 'payload missing',
    });
    expect(await gw.raw.hgetall(`zpe:status:${corrupted}`)).toMatchObject({
      status: 'failed',
      detail: 'payload corrupted',
    });
    expect(await gw.raw.exists(`zpe:lease:${missing}`, `zpe:lease:${corrupted}`)).toBe(0);
    expect(await gw.raw.zcard('zpe:lease:index')).toBe(0);
  });
});

describe('workers', () => {
  test('worker authentication: missing 401, unknown 401, revoked 403', async () => {
    const missing = await gw.call('POST', '/api/zpe/compute/jobs/lease');
    expect(missing.status).toBe(401);
    expect(missing.json).toEqual({ error: { code: 'unauthorized', message: 'missing worker token' } });
    const unknown = await gw.lease('A'.repeat(43));
    expect(unknown.status).toBe(401);
    expect(unknown.json).toEqual({ error: { code: 'unauthorized', message: 'token invalid or expired' } });
  });

  test('revoke: admin only; every token of the server refused with 403 afterwards', async () => {
    const worker = await gw.registerWorker('alice');
    const jobId = await gw.submit('alice');
    const lease = await leaseOne(worker.worker_token);

    const path = `/api/zpe/compute/servers/${worker.id}`;
    expect((await gw.call('DELETE', path)).status).toBe(401);
    expect((await gw.call('DELETE', path, { bearer: 'not-the-admin-token' })).status).toBe(401);
    expect((await gw.call('DELETE', path, { user: 'alice' })).status).toBe(401);
    const revoked = await gw.call('DELETE', path, { bearer: ADMIN_TOKEN });
    expect(revoked.json).toEqual({ revoked_count: 1 });

    const refusals = [
      await gw.lease(worker.worker_token),
      await report(worker.worker_token, jobId, {
        lease_id: lease.lease_id,
        result: RESULT,
        summary_text: SUMMARY,
        freqs_csv: FREQS,
      }),
      await fail(worker.worker_token, jobId, lease.lease_id),
    ];
    for (const refused of refusals) {
      expect(refused.status).toBe(403);
      expect(refused.json).toEqual({ error: { code: 'forbidden', message: 'token revoked' } });
    }
    expect((await gw.call('DELETE', '/api/zpe/compute/servers/compute-unknown', { bearer: ADMIN_TOKEN })).json).toEqual(
      {
        revoked_count: 0,
      },
    );
  });

  test('enrollment: a user’s token is owned, an admin’s unowned; lifetime from the request or the default', async () => {
    const owned = await gw.call<{ token: string; expires_at: string; ttl_seconds: number; label: string | null }>(
      'POST',
      '/api/zpe/compute/enroll-tokens',
      { user: 'alice', body: { label: 'lab box', ttl_seconds: 120 } },
    );
    expect(owned.status).toBe(200);
    expect(owned.json).toMatchObject({ ttl_seconds: 120, label: 'lab box' });
    expect(Date.parse(owned.json.expires_at) - Date.now()).toBeGreaterThan(110_000);
    expect(await gw.raw.hgetall(`zpe:enroll:${owned.json.token}`)).toMatchObject({
      owner_id: 'alice',
      label: 'lab box',
    });

    const unowned = await gw.call<{ token: string; ttl_seconds: number; label: null }>(
      'POST',
      '/api/zpe/compute/enroll-tokens',
      { bearer: ADMIN_TOKEN, body: {} },
    );
    expect(unowned.json).toMatchObject({ ttl_seconds: 3600, label: null });
    expect(await gw.raw.hgetall(`zpe:enroll:${unowned.json.token}`)).toMatchObject({ owner_id: '', label: '' });

    // An unowned token registers a server without a queue target.
    const registered = await gw.call('POST', '/api/zpe/compute/servers', { body: { token: unowned.json.token } });
    expect(registered.status).toBe(200);
    expect(await gw.raw.keys('zpe:queue:*')).toEqual([]);
    const reused = await gw.call('POST', '/api/zpe/compute/servers', { body: { token: unowned.json.token } });
    expect(reused.status).toBe(400);
    expect(reused.json).toEqual({ error: { code: 'bad_request', message: 'invalid enroll token' } });

    for (const ttl of [0, -5]) {
      const refused = await gw.call('POST', '/api/zpe/compute/enroll-tokens', {
        user: 'alice',
        body: { ttl_seconds: ttl },
      });
      expect(refused.status).toBe(400);
      expect(refused.json).toEqual({ error: { code: 'bad_request', message: 'ttl_seconds must be >= 1' } });
    }
    expect((await gw.call('POST', '/api/zpe/compute/enroll-tokens', { body: {} })).status).toBe(401);
  });
});

describe('queue targets', () => {
  test('registration adds targets for the owner, the first one active; list pages; select switches', async () => {
    const first = await gw.registerWorker('alice', { name: 'box-1' });
    const second = await gw.registerWorker('alice', { name: 'box-2', queue_name: 'gpu' });

    type Page = { targets: { id: string; queue_name: string; server_id: string; name: string }[] } & Record<
      string,
      unknown
    >;
    const all = await gw.call<Page>('GET', '/api/zpe/targets', { user: 'alice' });
    expect(all.json.targets.map((t) => [t.server_id, t.queue_name, t.name])).toEqual([
      [first.id, 'zpe', 'box-1'],
      [second.id, 'gpu', 'box-2'],
    ]);
    const [t1, t2] = all.json.targets;
    expect(all.json.active_target_id).toBe(t1!.id);
    expect(all.json.pagination).toEqual({ total: 2, limit: 50, offset: 0 });

    const page = await gw.call<Page>('GET', '/api/zpe/targets?limit=1&offset=1', { user: 'alice' });
    expect(page.json.targets.map((t) => t.id)).toEqual([t2!.id]);
    expect(page.json.pagination).toEqual({ total: 2, limit: 1, offset: 1 });
    const beyond = await gw.call<Page>('GET', '/api/zpe/targets?offset=10', { user: 'alice' });
    expect(beyond.json.targets).toEqual([]);

    const selected = await gw.call('PUT', `/api/zpe/targets/${t2!.id}/active`, { user: 'alice' });
    expect(selected.json).toEqual({ active_target_id: t2!.id });
    const jobId = await gw.submit('alice');
    expect(JSON.parse((await gw.raw.get(`zpe:job:meta:${jobId}`))!)).toMatchObject({ queue_name: 'gpu' });

    const notBobs = await gw.call('PUT', `/api/zpe/targets/${t1!.id}/active`, { user: 'bob' });
    expect(notBobs.status).toBe(404);
    expect(notBobs.json).toEqual({ error: { code: 'not_found', message: 'target not found' } });
    const bob = await gw.call<Page>('GET', '/api/zpe/targets', { user: 'bob' });
    expect(bob.json).toEqual({ targets: [], active_target_id: null, pagination: { total: 0, limit: 50, offset: 0 } });
  });
});

describe('submission checks', () => {
  const submit = (body: Record<string, unknown>) =>
    gw.call('POST', '/api/zpe/jobs', { user: 'alice', body: { content: SMALL_INPUT, ...body } });

  test('no active queue target: 400', async () => {
    const refused = await submit({ mobile_indices: [2] });
    expect(refused.status).toBe(400);
    expect(refused.json).toEqual({ error: { code: 'bad_request', message: 'no active queue target' } });
  });

  test.each([
    [[], '可動原子が空です。'],
    [[2, 4], '可動原子のインデックスが範囲外です。'],
    [[-1, 3], '可動原子のインデックスが範囲外です。'],
    [[3, 1, 0], '固定原子が可動原子に含まれています。'],
  ])('mobile_indices %j: 400', async (indices, message) => {
    await gw.registerWorker('alice');
    const refused = await submit({ mobile_indices: indices });
    expect(refused.status).toBe(400);
    expect(refused.json).toEqual({ error: { code: 'bad_request', message } });
    expect(await gw.raw.llen('zpe:queue')).toBe(0);
  });

  test('an unreadable QE input: 400 naming the problem', async () => {
    await gw.registerWorker('alice');
    const refused = await submit({
      content: '&system\n nat = 2\n/\nATOMIC_POSITIONS\nSi 0 0 0\n',
      mobile_indices: [0],
    });
    expect(refused.status).toBe(400);
    expect(refused.json).toEqual({
      error: { code: 'bad_request', message: "QE .in のパースに失敗しました: 'ibrav is required in &SYSTEM'" },
    });
  });
});

describe('retry backoff cap', () => {
  let capped: LegacyGateway;
  beforeAll(async () => {
    capped = await startLegacyGateway({
      ZPE_RETRY_MAX: '4',
      ZPE_RETRY_BASE_DELAY_SECONDS: '1',
      ZPE_RETRY_MAX_DELAY_SECONDS: '3',
    });
  });
  afterAll(() => capped?.close());

  test('delays double from the base up to the cap: 1, 2, 3, 3 s, then dead-letter', async () => {
    const worker = await capped.registerWorker('alice');
    const jobId = await capped.submit('alice');
    const details: string[] = [];
    for (let n = 1; n <= 5; n++) {
      const lease = await capped.lease(worker.worker_token);
      expect(lease.status).toBe(200);
      const failed = await capped.call('POST', `/api/zpe/compute/jobs/${jobId}/failed`, {
        bearer: worker.worker_token,
        body: { lease_id: (lease.json as Lease).lease_id, error_code: 'E', error_message: String(n) },
      });
      expect(failed.json).toEqual({ ok: true, requeued: n <= 4, retry_count: n });
      details.push((await capped.raw.hget(`zpe:status:${jobId}`, 'detail'))!);
      capped.clock.offsetSeconds += 3;
    }
    expect(details).toEqual([
      'requeue in 1s (E: 1)',
      'requeue in 2s (E: 2)',
      'requeue in 3s (E: 3)',
      'requeue in 3s (E: 4)',
      'E: 5',
    ]);
    expect(await capped.raw.lrange('zpe:dlq', 0, -1)).toEqual([jobId]);
  });
});

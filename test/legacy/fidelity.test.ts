import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import {
  ADMIN_TOKEN,
  type Answer,
  type Json,
  type LegacyGateway,
  SMALL_INPUT,
  snapshot,
  startLegacyGateway,
} from '../support/legacy-fixture.js';
import { until } from '../support/until.js';

/**
 * The built-in legacy backend against legacy-http-behaviour.md and legacy-redis-layout.md, operation
 * by operation over HTTP on a real Redis: status, message and body of each answer, and the raw bytes
 * of what each write leaves in Redis, compared with what the legacy (Python) would write, produced
 * here by the test's own json.dumps.
 */

let gw: LegacyGateway;
beforeAll(async () => {
  gw = await startLegacyGateway();
});
afterAll(() => gw?.close());
beforeEach(async () => {
  await gw.raw.flushdb();
  gw.clock.offsetSeconds = 0;
});

// The test's own writer of Python's JSON. Numbers are written as given (`n('50.0')` is a float).
class Num {
  constructor(readonly text: string) {}
}
const n = (text: string) => new Num(text);
type V = null | boolean | string | number | Num | V[] | { [key: string]: V };

/** json.dumps(value) (legacy storage) or, compact, FastAPI's answer / a worker's request body. */
function dumps(value: V, compact = false): string {
  const [item, colon] = compact ? [',', ':'] : [', ', ': '];
  const str = (s: string) =>
    compact
      ? JSON.stringify(s)
      : JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (value instanceof Num) return value.text;
  if (typeof value === 'string') return str(value);
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return `[${value.map((v) => dumps(v, compact)).join(item)}]`;
  return `{${Object.entries(value)
    .map(([k, v]) => `${str(k)}${colon}${dumps(v, compact)}`)
    .join(item)}}`;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?\+00:00$/;
const UPDATED = '2026-02-15T09:30:00.123456+00:00';
const DAY7 = 604800;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const error = (code: string, message: string) => ({ error: { code, message } });

/** A worker's result as a Python worker sends it: floats written as floats, non-ASCII text. */
const WORKER_RESULT: { [key: string]: V } = {
  calc_type: 'qe.zpe.v1',
  freqs_cm: [n('120.5'), n('340.25')],
  zpe_ev: n('0.0284'),
  s_vib_jmol_k: n('3.1'),
  mobile_indices: [2, 3],
  fixed_indices: [0, 1],
  kpoints: [2, 2, 1],
  delta: n('1e-05'),
  low_cut_cm: n('50.0'),
  temperature: n('298.15'),
  use_environ: false,
  qe_input: 'Å ☃ 🔥 input',
  pseudo_dir: './pseudo',
  calc_start_time: '2026-02-15T09:30:00+00:00',
  calc_end_time: '2026-02-15T09:40:00+00:00',
  elapsed_seconds: n('600.0'),
  cache_checked: 2,
  cache_deleted: 0,
  ecutwfc: n('30.0'),
  ecutrho: null,
};

interface Seed {
  owner?: string | null;
  status?: Record<string, string> | null;
  result?: string;
  summary?: string;
}

/** A job's keys as the legacy leaves them. */
async function seedJob(jobId: string, seed: Seed) {
  const owner = seed.owner === undefined ? 'alice' : seed.owner;
  if (owner !== null) await gw.raw.set(`zpe:job:owner:${jobId}`, owner, 'EX', DAY7);
  if (seed.status !== null) {
    await gw.raw.hset(`zpe:status:${jobId}`, seed.status ?? { status: 'queued', detail: '', updated_at: UPDATED });
  }
  if (seed.result !== undefined) await gw.raw.set(`zpe:result:${jobId}`, seed.result, 'EX', DAY7);
  if (seed.summary !== undefined) await gw.raw.set(`zpe:summary:${jobId}`, seed.summary, 'EX', DAY7);
}

const finished = { status: 'finished', detail: '', updated_at: UPDATED };
const resultWith = (changes: { [key: string]: V | undefined }) => {
  const out: { [key: string]: V } = {};
  for (const [k, v] of Object.entries({ ...WORKER_RESULT, ...changes })) if (v !== undefined) out[k] = v;
  return dumps(out);
};

interface ReadCase {
  name: string;
  seed: Seed;
  path: string;
  status: number;
  /** The exact answer text. */
  text: string;
}

const JOB = 'http-0123456789abcdef0123456789abcdef';
const errorText = (code: string, message: string) => JSON.stringify(error(code, message));

const READS: ReadCase[] = [
  // GET /api/zpe/jobs/{id}
  {
    name: 'status: no owner record',
    seed: { owner: null },
    path: '',
    status: 404,
    text: errorText('not_found', 'job not found'),
  },
  {
    name: 'status: another user’s',
    seed: { owner: 'bob' },
    path: '',
    status: 403,
    text: errorText('forbidden', 'forbidden'),
  },
  {
    name: 'status: no status',
    seed: { status: null },
    path: '',
    status: 404,
    text: errorText('not_found', 'job not found'),
  },
  {
    name: 'status: a status hash without status',
    seed: { status: { detail: 'x' } },
    path: '',
    status: 400,
    text: errorText('bad_request', "status payload missing 'status'"),
  },
  {
    name: 'status: an unknown state',
    seed: { status: { status: 'running', detail: '' } },
    path: '',
    status: 400,
    text: errorText('bad_request', 'invalid job state: running'),
  },
  {
    name: 'status: queued, empty detail read as none',
    seed: {},
    path: '',
    status: 200,
    text: `{"status":"queued","detail":null,"updated_at":"${UPDATED}"}`,
  },
  // GET .../result
  {
    name: 'result: queued',
    seed: {},
    path: '/result',
    status: 409,
    text: errorText('conflict', 'job not finished (status=queued)'),
  },
  {
    name: 'result: started',
    seed: { status: { status: 'started', detail: '' } },
    path: '/result',
    status: 409,
    text: errorText('conflict', 'job not finished (status=started)'),
  },
  {
    name: 'result: failed with a detail',
    seed: { status: { status: 'failed', detail: 'E1: boom' }, result: resultWith({}) },
    path: '/result',
    status: 409,
    text: errorText('conflict', 'job failed: E1: boom'),
  },
  {
    name: 'result: failed without a detail',
    seed: { status: { status: 'failed', detail: '' } },
    path: '/result',
    status: 409,
    text: errorText('conflict', 'job failed: unknown'),
  },
  {
    name: 'result: finished, result gone',
    seed: { status: finished },
    path: '/result',
    status: 500,
    text: errorText('internal_error', 'result missing after completion'),
  },
  {
    name: 'result: not JSON (the decoder’s text)',
    seed: { status: finished, result: 'not json' },
    path: '/result',
    status: 400,
    text: errorText('bad_request', 'Expecting value: line 1 column 1 (char 0)'),
  },
  {
    name: 'result: JSON but not an object',
    seed: { status: finished, result: '[1, 2]' },
    path: '/result',
    status: 400,
    text: errorText('bad_request', 'invalid result payload type'),
  },
  {
    name: 'result: kpts beside kpoints is an unknown key',
    seed: { status: finished, result: resultWith({ kpts: [1, 1, 1] }) },
    path: '/result',
    status: 500,
    text: errorText('internal_error', 'result data invalid'),
  },
  {
    name: 'result: an unknown key',
    seed: { status: finished, result: resultWith({ extra: 1 }) },
    path: '/result',
    status: 500,
    text: errorText('internal_error', 'result data invalid'),
  },
  {
    name: 'result: a required field missing',
    seed: { status: finished, result: resultWith({ zpe_ev: undefined }) },
    path: '/result',
    status: 500,
    text: errorText('internal_error', 'result data invalid'),
  },
  {
    name: 'result: a number where a string belongs',
    seed: { status: finished, result: resultWith({ pseudo_dir: 5 }) },
    path: '/result',
    status: 500,
    text: errorText('internal_error', 'result data invalid'),
  },
  {
    name: 'result: a NaN stored (Python writes it) passes the model, not the answer encoder',
    seed: { status: finished, result: resultWith({ zpe_ev: n('NaN') }) },
    path: '/result',
    status: 400,
    text: errorText('bad_request', 'Out of range float values are not JSON compliant'),
  },
  {
    name: 'result: an int from a fractional float',
    seed: { status: finished, result: resultWith({ cache_checked: n('1.5') }) },
    path: '/result',
    status: 500,
    text: errorText('internal_error', 'result data invalid'),
  },
  {
    name: 'result: an older result (kpts, ints for floats, text numbers, no calc_type) validated and completed',
    seed: {
      status: finished,
      result: resultWith({
        calc_type: undefined,
        kpoints: undefined,
        kpts: [3, 3, 1],
        zpe_ev: '2.5',
        low_cut_cm: 50,
        freqs_cm: [1, n('2.5')],
        use_environ: 'yes',
        cache_checked: n('2.0'),
        cache_deleted: '1',
        ecutwfc: undefined,
      }),
    },
    path: '/result',
    status: 200,
    text: dumps(
      {
        result: {
          ...WORKER_RESULT,
          freqs_cm: [n('1.0'), n('2.5')],
          zpe_ev: n('2.5'),
          kpoints: [3, 3, 1],
          low_cut_cm: n('50.0'),
          use_environ: true,
          cache_checked: 2,
          cache_deleted: 1,
          ecutwfc: null,
        },
      },
      true,
    ),
  },
  // GET .../files
  {
    name: 'files: queued',
    seed: {},
    path: '/files?kind=summary',
    status: 409,
    text: errorText('conflict', 'job not finished (status=queued)'),
  },
  {
    name: 'files: failed',
    seed: { status: { status: 'failed', detail: '' } },
    path: '/files?kind=freqs',
    status: 409,
    text: errorText('conflict', 'job failed: unknown'),
  },
  {
    name: 'files: finished, file gone',
    seed: { status: finished },
    path: '/files?kind=summary',
    status: 500,
    text: errorText('internal_error', 'file missing after completion'),
  },
  {
    name: 'files: the summary',
    seed: { status: finished, summary: 'ZPE = 0.0284 eV\n' },
    path: '/files?kind=summary',
    status: 200,
    text: 'ZPE = 0.0284 eV\n',
  },
];

describe('job reads: status, message and body as the legacy answers', () => {
  test.each(READS)('$name', async ({ seed, path, status, text }) => {
    await seedJob(JOB, seed);
    const answer = await gw.call('GET', `/api/zpe/jobs/${JOB}${path}`, { user: 'alice' });
    expect(answer.status, answer.text).toBe(status);
    expect(answer.text).toBe(text);
  });
});

describe('enrollment: TTL rules, hash fields', () => {
  const refused: [string, number, number, Json][] = [
    ['zero', 0, 400, error('bad_request', 'ttl_seconds must be >= 1')],
    ['negative', -5, 400, error('bad_request', 'ttl_seconds must be >= 1')],
    ['past the year 9999', 300_000_000_000, 400, error('bad_request', 'date value out of range')],
    [
      'past timedelta’s days',
      86_400_000_000_000,
      400,
      error('bad_request', 'days=1000000000; must have magnitude <= 999999999'),
    ],
    [
      'past a C int of days',
      185_542_587_187_200,
      400,
      error('bad_request', 'Python int too large to convert to C int'),
    ],
    // Past Redis's range (about 9.2e15 s) is 503 in the backend, but no such TTL is a safe integer,
    // which the request validation asks for today.
  ];
  test.each(refused)('ttl %s (%d): %d, Redis unchanged', async (_, ttl, status, body) => {
    const before = await snapshot(gw.raw);
    const answer = await gw.call('POST', '/api/zpe/compute/enroll-tokens', {
      user: 'alice',
      body: { ttl_seconds: ttl },
    });
    expect(answer.status).toBe(status);
    expect(answer.json).toEqual(body);
    expect(await snapshot(gw.raw)).toEqual(before);
  });

  test('every hash field written, empty strings for no owner and no label; label echoed, null when absent', async () => {
    const admin = await gw.call<Json>('POST', '/api/zpe/compute/enroll-tokens', { bearer: ADMIN_TOKEN, body: {} });
    expect(admin.json.label).toBeNull();
    const stored = await gw.raw.hgetall(`zpe:enroll:${admin.json.token}`);
    expect(stored).toEqual({ created_at: expect.stringMatching(ISO), label: '', owner_id: '' });

    const mine = await gw.call<Json>('POST', '/api/zpe/compute/enroll-tokens', {
      user: 'alice',
      body: { ttl_seconds: 60, label: 'rack 4' },
    });
    expect(mine.json).toMatchObject({ ttl_seconds: 60, label: 'rack 4', expires_at: expect.stringMatching(ISO) });
    const hash = await gw.raw.hgetall(`zpe:enroll:${mine.json.token}`);
    expect(hash).toMatchObject({ label: 'rack 4', owner_id: 'alice' });
    expect(Date.parse(mine.json.expires_at as string) - Date.parse(hash.created_at!)).toBe(60_000);
    expect(await gw.raw.ttl(`zpe:enroll:${mine.json.token}`)).toBeGreaterThan(55);
  });
});

describe('registration', () => {
  test('the target record is byte for byte the legacy’s json.dumps; the worker token carries the server name', async () => {
    const token = await gw.enroll('alice');
    const name = 'Gerät ☃ 🔥 "x"';
    const answer = await gw.call<Json>('POST', '/api/zpe/compute/servers', {
      body: { token, name, queue_name: 'q/1', meta: { gpus: 2, kind: 'ä' } },
    });
    expect(answer.status).toBe(200);
    const serverId = answer.json.id as string;
    const [targetId] = await gw.raw.lrange('zpe:queue:targets:alice', 0, -1);
    expect(await gw.raw.get(`zpe:queue:target:${targetId}`)).toBe(
      dumps({
        target_id: targetId!,
        user_id: 'alice',
        queue_name: 'q/1',
        server_id: serverId,
        registered_at: answer.json.registered_at as string,
        name,
      }),
    );
    expect(await gw.raw.hget(`zpe:compute:server:${serverId}`, 'meta')).toBe(dumps({ gpus: 2, kind: 'ä' }));
    const tokenHash = sha256(answer.json.worker_token as string);
    expect(await gw.raw.hget(`zpe:token:${tokenHash}`, 'label')).toBe(name);

    const unnamed = await gw.call<Json>('POST', '/api/zpe/compute/servers', {
      body: { token: await gw.enroll('alice') },
    });
    expect(unnamed.json.name).toBeNull();
    expect(await gw.raw.hget(`zpe:token:${sha256(unnamed.json.worker_token as string)}`, 'label')).toBe('');
    expect(await gw.raw.hget(`zpe:compute:server:${unnamed.json.id}`, 'name')).toBe('');
  });

  test('the owner in the target record is escaped as Python does (written on the server)', async () => {
    // Header values travel as Latin-1: "å" arrives as U+00E5.
    const owner = 'ålice "q" \\';
    await gw.registerWorker(owner, { name: 'box' });
    const [targetId] = await gw.raw.lrange(`zpe:queue:targets:${owner}`, 0, -1);
    const record = (await gw.raw.get(`zpe:queue:target:${targetId}`))!;
    expect(record).toContain(`"user_id": ${dumps(owner)}, "queue_name"`);
    expect(record).toContain('"user_id": "\\u00e5lice \\"q\\" \\\\"');
    expect(JSON.parse(record).user_id).toBe(owner);
  });

  test('a dangling active target is repaired; a live one is kept', async () => {
    await gw.raw.set('zpe:queue:active:alice', 'qt-gone');
    await gw.registerWorker('alice', { name: 'first' });
    const [first] = await gw.raw.lrange('zpe:queue:targets:alice', 0, -1);
    expect(await gw.raw.get('zpe:queue:active:alice')).toBe(first);
    await gw.registerWorker('alice', { name: 'second' });
    expect(await gw.raw.get('zpe:queue:active:alice')).toBe(first);
  });
});

describe('queue targets', () => {
  test('records that are gone are left out of the page and of the total; a dangling active id reads as null', async () => {
    for (const name of ['a', 'b', 'c']) await gw.registerWorker('alice', { name });
    const ids = await gw.raw.lrange('zpe:queue:targets:alice', 0, -1);
    await gw.raw.del(`zpe:queue:target:${ids[1]}`);
    const page = await gw.call<Json>('GET', '/api/zpe/targets', { user: 'alice' });
    expect(page.json).toMatchObject({ active_target_id: ids[0], pagination: { total: 2, limit: 50, offset: 0 } });
    expect((page.json.targets as Json[]).map((t) => t.name)).toEqual(['a', 'c']);
    const second = await gw.call<Json>('GET', '/api/zpe/targets?limit=1&offset=1', { user: 'alice' });
    expect((second.json.targets as Json[]).map((t) => t.name)).toEqual(['c']);

    await gw.raw.del(`zpe:queue:target:${ids[0]}`);
    const dangling = await gw.call<Json>('GET', '/api/zpe/targets', { user: 'alice' });
    expect(dangling.json.active_target_id).toBeNull();
    expect(dangling.json.pagination).toEqual({ total: 1, limit: 50, offset: 0 });
  });
});

describe('worker authentication: order and messages', () => {
  const calls: [string, (bearer?: string) => Promise<Answer<Json>>][] = [
    ['lease', (bearer) => gw.call('POST', '/api/zpe/compute/jobs/lease', { bearer })],
    [
      'result',
      (bearer) =>
        gw.call('POST', `/api/zpe/compute/jobs/${JOB}/result`, {
          bearer,
          body: { lease_id: 'x', result: {}, summary_text: '', freqs_csv: '' },
        }),
    ],
    [
      'failed',
      (bearer) =>
        gw.call('POST', `/api/zpe/compute/jobs/${JOB}/failed`, {
          bearer,
          body: { lease_id: 'x', error_code: 'E', error_message: 'm' },
        }),
    ],
  ];
  test.each(calls)('%s', async (_, send) => {
    expect((await send()).json).toEqual(error('unauthorized', 'missing worker token'));
    expect((await send('unknown-token')).json).toEqual(error('unauthorized', 'token invalid or expired'));
    // Revoked is checked first: a revoked token whose record expired is still "revoked".
    await gw.raw.zadd('zpe:revoked_tokens', 1, sha256('revoked-token'));
    const revoked = await send('revoked-token');
    expect([revoked.status, revoked.json]).toEqual([403, error('forbidden', 'token revoked')]);
    await gw.raw.hset(`zpe:token:${sha256('no-worker-token')}`, { created_at: UPDATED, label: 'x' });
    const noWorker = await send('no-worker-token');
    expect([noWorker.status, noWorker.json]).toEqual([401, error('unauthorized', 'token invalid')]);
  });

  test('revoke counts the server’s token set, revoked ones again; an unknown server 0', async () => {
    const worker = await gw.registerWorker('alice');
    await gw.raw.sadd(`zpe:worker_tokens:${worker.id}`, sha256('second'));
    for (let i = 0; i < 2; i++) {
      const revoked = await gw.call('DELETE', `/api/zpe/compute/servers/${worker.id}`, { bearer: ADMIN_TOKEN });
      expect(revoked.json).toEqual({ revoked_count: 2 });
    }
    const unknown = await gw.call('DELETE', '/api/zpe/compute/servers/compute-none', { bearer: ADMIN_TOKEN });
    expect(unknown.json).toEqual({ revoked_count: 0 });
  });
});

describe('the lease answer, as the legacy sends it', () => {
  async function leaseStored(payload: string, meta?: string) {
    const worker = await gw.registerWorker('alice');
    await gw.raw.set(`zpe:payload:${JOB}`, payload);
    await gw.raw.lpush('zpe:queue', JOB);
    await gw.raw.hset(`zpe:status:${JOB}`, { status: 'queued', detail: '', updated_at: UPDATED });
    if (meta !== undefined) await gw.raw.set(`zpe:job:meta:${JOB}`, meta);
    const answer = await gw.lease(worker.worker_token);
    expect(answer.status, answer.text).toBe(200);
    return answer;
  }

  test('the payload re-validated as the submit body: coerced, defaults filled, nulls left out, model order', async () => {
    const answer = await leaseStored(
      dumps({ mobile_indices: ['1', n('2.0')], content: 'x', input_dir: null, use_environ: 'yes' }),
    );
    expect(answer.text).toContain(
      `"payload":{"calc_type":"qe.zpe.v1","content":"x","mobile_indices":[1,2],"use_environ":true,"calc_mode":"continue"}`,
    );
    expect(answer.json.meta).toEqual({});
  });

  test('a payload the model refuses goes out as stored; meta as stored, floats as floats, nulls kept', async () => {
    const answer = await leaseStored(
      dumps({ content: 'x', mobile_indices: [1], extra: n('1.0') }),
      dumps({ request_id: 'r', weight: n('1.0'), structure_id: null }),
    );
    expect(answer.text).toContain('"payload":{"content":"x","mobile_indices":[1],"extra":1.0}');
    expect(answer.text).toContain('"meta":{"request_id":"r","weight":1.0,"structure_id":null}');
  });

  test.each([['not json'], ['[1]']])('meta %j reads as {}', async (meta) => {
    const answer = await leaseStored(dumps({ content: 'x', mobile_indices: [1] }), meta);
    expect(answer.json.meta).toEqual({});
  });
});

describe('what a submission writes', () => {
  test('payload and meta are the legacy’s json.dumps bytes; status with an empty detail and an isoformat time', async () => {
    await gw.registerWorker('alice', { queue_name: 'gpu' });
    const content = `${SMALL_INPUT}! Ångström ☃\n`;
    const answer = await gw.call<Json>('POST', '/api/zpe/jobs', {
      user: 'alice',
      headers: { 'x-request-id': 'req-0042' },
      body: { content, mobile_indices: [3, 2, 3], structure_id: '' },
    });
    expect(answer.status, answer.text).toBe(200);
    const jobId = answer.json.id as string;
    expect(await gw.raw.get(`zpe:payload:${jobId}`)).toBe(
      dumps({
        calc_type: 'qe.zpe.v1',
        content,
        mobile_indices: [2, 3],
        use_environ: false,
        input_dir: null,
        calc_mode: 'continue',
        structure_id: '',
      }),
    );
    expect(await gw.raw.get(`zpe:job:meta:${jobId}`)).toBe(
      dumps({ request_id: 'req-0042', user_id: 'alice', structure_id: '', queue_name: 'gpu', calc_mode: 'continue' }),
    );
    expect(await gw.raw.hgetall(`zpe:status:${jobId}`)).toEqual({
      status: 'queued',
      detail: '',
      updated_at: expect.stringMatching(ISO),
    });
  });
});

describe('results across two planes that compare bytes', () => {
  async function leasedJob() {
    const worker = await gw.registerWorker('alice');
    const jobId = await gw.submit('alice');
    const lease = await gw.lease(worker.worker_token);
    return { worker, jobId, leaseId: lease.json.lease_id as string };
  }
  const report = (token: string, jobId: string, leaseId: string, result: V) =>
    gw.call<Json>('POST', `/api/zpe/compute/jobs/${jobId}/result`, {
      bearer: token,
      raw: `{"lease_id":${JSON.stringify(leaseId)},"result":${dumps(result, true)},"summary_text":"S","freqs_csv":"F"}`,
    });

  test('stored as json.dumps(result): the legacy’s retry check (bytes) says idempotent; the read answers floats', async () => {
    const { worker, jobId, leaseId } = await leasedJob();
    expect((await report(worker.worker_token, jobId, leaseId, WORKER_RESULT)).json).toEqual({
      ok: true,
      idempotent: false,
    });
    const stored = await gw.raw.get(`zpe:result:${jobId}`);
    // The legacy's check on a retry through it: json.dumps of the result it receives against these bytes.
    expect(stored).toBe(dumps(WORKER_RESULT));
    const read = await gw.call('GET', `/api/zpe/jobs/${jobId}/result`, { user: 'alice' });
    expect(read.text).toBe(dumps({ result: WORKER_RESULT }, true));
  });

  test('a result the legacy stored: the same result retried through the gateway is idempotent; reordered 409', async () => {
    const { worker, jobId } = await leasedJob();
    await gw.raw.set(`zpe:result:${jobId}`, dumps(WORKER_RESULT), 'EX', DAY7);
    await gw.raw.set(`zpe:summary:${jobId}`, 'S', 'EX', DAY7);
    await gw.raw.set(`zpe:freqs:${jobId}`, 'F', 'EX', DAY7);
    await gw.raw.hset(`zpe:status:${jobId}`, finished);
    expect((await report(worker.worker_token, jobId, 'any', WORKER_RESULT)).json).toEqual({
      ok: true,
      idempotent: true,
    });
    const reordered = Object.fromEntries(Object.entries(WORKER_RESULT).reverse());
    const again = await report(worker.worker_token, jobId, 'any', reordered);
    expect([again.status, again.json]).toEqual([409, error('conflict', 'result already submitted')]);
  });

  test('a failure report on a finished job: lease not found', async () => {
    const { worker, jobId, leaseId } = await leasedJob();
    await report(worker.worker_token, jobId, leaseId, WORKER_RESULT);
    const failed = await gw.call('POST', `/api/zpe/compute/jobs/${jobId}/failed`, {
      bearer: worker.worker_token,
      body: { lease_id: leaseId, error_code: 'E', error_message: 'late' },
    });
    expect([failed.status, failed.json]).toEqual([409, error('conflict', 'lease not found')]);
  });
});

/**
 * The legacy control plane's sweep, as it runs beside the gateway: an expired lease is requeued only
 * while its hash exists; its index entry is dropped either way.
 */
async function legacySweep(
  raw: LegacyGateway['raw'],
  nowSeconds: number,
  /** Whether the hash still lives at `nowSeconds` (by default: it exists in Redis now). */
  alive: (jobId: string) => Promise<boolean> = async (jobId) => (await raw.exists(`zpe:lease:${jobId}`)) === 1,
): Promise<string[]> {
  const requeued: string[] = [];
  for (const jobId of await raw.zrangebyscore('zpe:lease:index', '-inf', nowSeconds)) {
    if (await alive(jobId)) {
      await raw.del(`zpe:lease:${jobId}`);
      await raw.lpush('zpe:queue', jobId);
      await raw.hset(`zpe:status:${jobId}`, { status: 'queued', detail: 'lease expired', updated_at: UPDATED });
      requeued.push(jobId);
    }
    await raw.zrem('zpe:lease:index', jobId);
  }
  return requeued;
}

/** Every job whose status is queued is in the queue, the lease index or the delay set. */
async function strandedJobs(raw: LegacyGateway['raw'], jobIds: string[]): Promise<string[]> {
  const queue = new Set(await raw.lrange('zpe:queue', 0, -1));
  const leased = new Set(await raw.zrange('zpe:lease:index', '0', '-1'));
  const delayed = new Set(await raw.zrange('zpe:delay', '0', '-1'));
  const stranded: string[] = [];
  for (const id of jobIds) {
    const status = await raw.hget(`zpe:status:${id}`, 'status');
    if (status === 'queued' && !queue.has(id) && !leased.has(id) && !delayed.has(id)) stranded.push(id);
  }
  return stranded;
}

describe('side by side with the legacy on one Redis: leases', () => {
  let short: LegacyGateway;
  beforeAll(async () => {
    short = await startLegacyGateway({ ZPE_LEASE_TTL_SECONDS: '1' });
  });
  afterAll(() => short?.close());

  test('a lease the gateway wrote, left to expire in real time, is requeued by the legacy’s sweep', async () => {
    const worker = await short.registerWorker('alice');
    const jobIds = [await short.submit('alice'), await short.submit('alice'), await short.submit('alice')];
    for (const _ of jobIds) expect((await short.lease(worker.worker_token)).status).toBe(200);
    const scores = await Promise.all(jobIds.map((id) => short.raw.zscore('zpe:lease:index', id)));
    const lastScore = Math.max(...scores.map(Number));
    // Real time passes beyond every lease's end (Redis expires keys on its own clock).
    await until(() => Date.now() / 1000 > lastScore + 1, 10_000, 50);
    expect((await legacySweep(short.raw, Math.floor(Date.now() / 1000))).sort()).toEqual([...jobIds].sort());
    expect(await strandedJobs(short.raw, jobIds)).toEqual([]);
    const back: string[] = [];
    for (const _ of jobIds) back.push((await short.lease(worker.worker_token)).json.job_id as string);
    expect(back.sort()).toEqual([...jobIds].sort());
  });

  test('mixed work, both planes sweeping in turn: no job is left queued outside the queue, index or delay set', async () => {
    await short.raw.flushdb();
    const workers = [await short.registerWorker('alice'), await short.registerWorker('alice')];
    const jobIds: string[] = [];
    for (let i = 0; i < 12; i++) jobIds.push(await short.submit('alice'));
    const finishedJobs = new Set<string>();
    // The clock jumps; Redis expires keys on its own: a hash written at offset w lives at offset o
    // while its TTL left exceeds o - w, as it would have had the time really passed.
    const writtenAt = new Map<string, number>();
    const alive = async (jobId: string) => {
      const left = (await short.raw.pttl(`zpe:lease:${jobId}`)) / 1000;
      return left > short.clock.offsetSeconds - (writtenAt.get(jobId) ?? 0);
    };
    for (let round = 0; finishedJobs.size < jobIds.length; round++) {
      expect(round).toBeLessThan(40);
      for (const [w, worker] of workers.entries()) {
        const lease = await short.lease(worker.worker_token);
        if (lease.status !== 200) continue;
        const jobId = lease.json.job_id as string;
        const leaseId = lease.json.lease_id as string;
        writtenAt.set(jobId, short.clock.offsetSeconds);
        const action = (round + w) % 3;
        if (action === 0) {
          const done = await short.call('POST', `/api/zpe/compute/jobs/${jobId}/result`, {
            bearer: worker.worker_token,
            body: { lease_id: leaseId, result: { ok: 1 }, summary_text: 'S', freqs_csv: 'F' },
          });
          if (done.status === 200) finishedJobs.add(jobId);
        } else if (action === 1) {
          await short.call('POST', `/api/zpe/compute/jobs/${jobId}/failed`, {
            bearer: worker.worker_token,
            body: { lease_id: leaseId, error_code: 'E', error_message: 'flaky' },
          });
        }
        // action 2: the lease is left to expire.
      }
      expect(await strandedJobs(short.raw, jobIds)).toEqual([]);
      // Time moves on for both planes: leases expire, retries fall due; the legacy sweeps on even rounds.
      short.clock.offsetSeconds += 400;
      if (round % 2 === 0) {
        await legacySweep(short.raw, Math.floor(Date.now() / 1000 + short.clock.offsetSeconds), alive);
      }
      expect(await strandedJobs(short.raw, jobIds)).toEqual([]);
    }
    for (const id of jobIds) expect(await short.raw.hget(`zpe:status:${id}`, 'status')).toMatch(/finished|failed/);
  }, 60_000);
});

describe('a lease never ends before the TTL the worker was told', () => {
  test('a result posted just inside the lease is accepted, though another worker leased meanwhile', async () => {
    const [a, b] = [await gw.registerWorker('alice'), await gw.registerWorker('alice')];
    const jobId = await gw.submit('alice');
    const lease = await gw.lease(a.worker_token);
    const told = Date.now() / 1000 + (lease.json.lease_ttl_seconds as number);
    expect(Number(await gw.raw.zscore('zpe:lease:index', jobId))).toBeGreaterThanOrEqual(told);
    gw.clock.offsetSeconds = (lease.json.lease_ttl_seconds as number) - 0.2;
    expect((await gw.lease(b.worker_token)).status).toBe(204);
    const posted = await gw.call('POST', `/api/zpe/compute/jobs/${jobId}/result`, {
      bearer: a.worker_token,
      body: { lease_id: lease.json.lease_id, result: { ok: 1 }, summary_text: 'S', freqs_csv: 'F' },
    });
    expect(posted.json).toEqual({ ok: true, idempotent: false });
  });
});

describe('Idempotency-Key on submissions', () => {
  const submit = (user: string, key: string | undefined, body: Json = {}) =>
    gw.call<Json>('POST', '/api/zpe/jobs', {
      user,
      headers: key === undefined ? {} : { 'idempotency-key': key },
      body: { content: SMALL_INPUT, mobile_indices: [2, 3], ...body },
    });

  test('same key and body: the same job, queued once, the key kept as long as results; another body 422', async () => {
    await gw.registerWorker('alice');
    const first = await submit('alice', '"8e03978e-40d5-43e8-bc93-6894a57f9324"');
    const again = await submit('alice', '"8e03978e-40d5-43e8-bc93-6894a57f9324"');
    expect(first.status).toBe(200);
    expect(again.json).toEqual(first.json);
    expect(await gw.raw.lrange('zpe:queue', 0, -1)).toEqual([first.json.id]);
    const [key] = await gw.raw.keys('zpe:gw:idempotency:*');
    expect(await gw.raw.ttl(key!)).toBeGreaterThan(DAY7 - 5);

    const other = await submit('alice', '"8e03978e-40d5-43e8-bc93-6894a57f9324"', { mobile_indices: [2] });
    expect(other.status).toBe(422);
    expect(other.json).toEqual(
      error('validation_error', 'Idempotency-Key was already used with a different request body'),
    );
    expect(await gw.raw.llen('zpe:queue')).toBe(1);
  });

  test('keys are per user; no key, no deduplication; a malformed key 400', async () => {
    await gw.registerWorker('alice');
    await gw.registerWorker('bob');
    const alice = await submit('alice', 'k-1');
    const bob = await submit('bob', 'k-1');
    expect(bob.status).toBe(200);
    expect(bob.json.id).not.toBe(alice.json.id);
    await submit('alice', undefined);
    await submit('alice', undefined);
    expect(await gw.raw.llen('zpe:queue')).toBe(4);
    const malformed = await submit('alice', '""');
    expect([malformed.status, malformed.json]).toMatchObject([400, { error: { code: 'bad_request' } }]);
  });

  test('ten concurrent submissions with one key: one job, every answer its id', async () => {
    await gw.registerWorker('alice');
    const answers = await Promise.all(Array.from({ length: 10 }, () => submit('alice', 'burst')));
    const ids = new Set(answers.map((a) => a.json.id));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(ids.size).toBe(1);
    expect(await gw.raw.lrange('zpe:queue', 0, -1)).toEqual([...ids]);
  });

  test('a 503 while Redis hangs, retried with the same key once it is back: exactly one job', async () => {
    await gw.registerWorker('alice');
    gw.redis.pause();
    let during: Answer<Json>;
    try {
      during = await submit('alice', 'stalled');
    } finally {
      gw.redis.resume();
    }
    expect(during.status).toBe(503);
    let retried: Answer<Json> | undefined;
    await until(async () => {
      retried = await submit('alice', 'stalled');
      return retried.status === 200;
    }, 5000);
    expect(await gw.raw.lrange('zpe:queue', 0, -1)).toEqual([retried!.json.id]);
    expect((await submit('alice', 'stalled')).json).toEqual(retried!.json);
  });
});

describe('reads: one round trip, no MULTI', () => {
  /** The commands Redis executes for `work`, as MONITOR sees them (a script's own commands as `lua:NAME`). */
  async function commandsOf(work: () => Promise<unknown>): Promise<string[]> {
    const monitor = await gw.raw.duplicate().monitor();
    const seen: string[] = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      seen.push(`${source === 'lua' ? 'lua:' : ''}${String(args[0]).toLowerCase()}`);
    });
    const marker = gw.redis.client();
    try {
      await until(async () => {
        await marker.echo('ready');
        return seen.includes('echo');
      }, 5000);
      seen.length = 0;
      await work();
      // Redis answers in order: once the marker shows up, everything the read sent was seen.
      await marker.echo('done');
      await until(() => seen.includes('echo'), 5000);
    } finally {
      monitor.disconnect();
      marker.disconnect();
    }
    return seen.slice(0, seen.indexOf('echo'));
  }

  test('job status, result, files and targets: each one read-only script', async () => {
    await seedJob(JOB, { status: finished, result: resultWith({}), summary: 'S' });
    await gw.registerWorker('alice');
    const read = (path: string) => () => gw.call('GET', path, { user: 'alice' });
    // Loads each script once (EVALSHA, NOSCRIPT, EVAL).
    await read(`/api/zpe/jobs/${JOB}`)();
    await read('/api/zpe/targets')();
    expect(await commandsOf(read(`/api/zpe/jobs/${JOB}`))).toEqual(['evalsha', 'lua:get', 'lua:hgetall']);
    expect(await commandsOf(read(`/api/zpe/jobs/${JOB}/result`))).toEqual([
      'evalsha',
      'lua:get',
      'lua:get',
      'lua:hgetall',
    ]);
    expect(await commandsOf(read(`/api/zpe/jobs/${JOB}/files?kind=summary`))).toEqual([
      'evalsha',
      'lua:get',
      'lua:get',
      'lua:hgetall',
    ]);
    const targets = await commandsOf(read('/api/zpe/targets'));
    expect(targets[0]).toBe('evalsha');
    expect(targets.filter((command) => !command.startsWith('lua:'))).toEqual(['evalsha']);
  });
});

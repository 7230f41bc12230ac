import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  ADMIN_TOKEN,
  type LegacyGateway,
  RESULT,
  type RequestOptions,
  SMALL_INPUT,
  snapshot,
  startLegacyGateway,
} from '../support/legacy-fixture.js';

/**
 * Bad input on every operation: the documented envelope with the right status, never a 500, and Redis
 * exactly as it was (every key's DUMP and TTL presence compared).
 */

let gw: LegacyGateway;
let worker: { id: string; worker_token: string };
let queuedJob: string;
let leasedJob: string;
let leaseId: string;
let targetId: string;

beforeAll(async () => {
  gw = await startLegacyGateway({ ZPE_MAX_BODY_BYTES: '4096' });
  worker = await gw.registerWorker('alice');
  leasedJob = await gw.submit('alice');
  queuedJob = await gw.submit('alice');
  const lease = await gw.lease(worker.worker_token);
  leaseId = (lease.json as { lease_id: string }).lease_id;
  targetId = (await gw.raw.get('zpe:queue:active:alice'))!;
});
afterAll(() => gw?.close());

const CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  422: 'validation_error',
};

interface Case {
  name: string;
  method: string;
  path: () => string;
  options: () => RequestOptions;
  status: number;
  message?: string | RegExp;
}

const user = { user: 'alice' };
const worker_ = () => ({ bearer: worker.worker_token });
const resultBody = () => ({ lease_id: leaseId, result: RESULT, summary_text: 's', freqs_csv: 'f' });
const failureBody = () => ({ lease_id: leaseId, error_code: 'E', error_message: 'm' });
const WEIRD_IDS = ['*', '..%2F..%2Fetc', '%00', 'x'.repeat(3000), '%F0%9F%92%A5', 'http-ZZZ', '%20'];

const CASES: Case[] = [
  // submitJob
  {
    name: 'submit: no user',
    method: 'POST',
    path: () => '/api/zpe/jobs',
    options: () => ({ body: { content: SMALL_INPUT, mobile_indices: [2] } }),
    status: 401,
  },
  {
    name: 'submit: not JSON',
    method: 'POST',
    path: () => '/api/zpe/jobs',
    options: () => ({ ...user, raw: '{"content": ' }),
    status: 422,
    message: 'validation error',
  },
  {
    name: 'submit: missing fields',
    method: 'POST',
    path: () => '/api/zpe/jobs',
    options: () => ({ ...user, body: {} }),
    status: 422,
  },
  {
    name: 'submit: wrong types',
    method: 'POST',
    path: () => '/api/zpe/jobs',
    options: () => ({ ...user, body: { content: 1, mobile_indices: ['a'] } }),
    status: 422,
  },
  {
    name: 'submit: fractional index',
    method: 'POST',
    path: () => '/api/zpe/jobs',
    options: () => ({ ...user, body: { content: SMALL_INPUT, mobile_indices: [2.5] } }),
    status: 422,
  },
  {
    name: 'submit: unknown field',
    method: 'POST',
    path: () => '/api/zpe/jobs',
    options: () => ({ ...user, body: { content: SMALL_INPUT, mobile_indices: [2], extra: 1 } }),
    status: 422,
  },
  {
    name: 'submit: unknown calc_type',
    method: 'POST',
    path: () => '/api/zpe/jobs',
    options: () => ({ ...user, body: { content: SMALL_INPUT, mobile_indices: [2], calc_type: 'vasp' } }),
    status: 422,
  },
  {
    name: 'submit: a JSON array',
    method: 'POST',
    path: () => '/api/zpe/jobs',
    options: () => ({ ...user, body: [1, 2] }),
    status: 422,
  },
  {
    name: 'submit: oversize body',
    method: 'POST',
    path: () => '/api/zpe/jobs',
    options: () => ({ ...user, body: { content: 'x'.repeat(10_000), mobile_indices: [2] } }),
    status: 413,
  },
  {
    name: 'submit: not a QE input',
    method: 'POST',
    path: () => '/api/zpe/jobs',
    options: () => ({ ...user, body: { content: 'hello', mobile_indices: [2] } }),
    status: 400,
    message: '構造データではありません。',
  },
  {
    name: 'submit: index beyond the atoms',
    method: 'POST',
    path: () => '/api/zpe/jobs',
    options: () => ({ ...user, body: { content: SMALL_INPUT, mobile_indices: [2 ** 40] } }),
    status: 400,
  },
  {
    name: 'submit: no active target (bob)',
    method: 'POST',
    path: () => '/api/zpe/jobs',
    options: () => ({ user: 'bob', body: { content: SMALL_INPUT, mobile_indices: [2] } }),
    status: 400,
    message: 'no active queue target',
  },
  // job reads
  ...WEIRD_IDS.flatMap((id): Case[] => [
    {
      name: `status: id ${id.slice(0, 20)}`,
      method: 'GET',
      path: () => `/api/zpe/jobs/${id}`,
      options: () => user,
      status: 404,
    },
    {
      name: `result: id ${id.slice(0, 20)}`,
      method: 'GET',
      path: () => `/api/zpe/jobs/${id}/result`,
      options: () => user,
      status: 404,
    },
    {
      name: `files: id ${id.slice(0, 20)}`,
      method: 'GET',
      path: () => `/api/zpe/jobs/${id}/files?kind=summary`,
      options: () => user,
      status: 404,
    },
  ]),
  {
    name: 'status: no user',
    method: 'GET',
    path: () => `/api/zpe/jobs/${queuedJob}`,
    options: () => ({}),
    status: 401,
  },
  {
    name: 'status: another user',
    method: 'GET',
    path: () => `/api/zpe/jobs/${queuedJob}`,
    options: () => ({ user: 'mallory' }),
    status: 403,
  },
  {
    name: 'result: not there yet',
    method: 'GET',
    path: () => `/api/zpe/jobs/${queuedJob}/result`,
    options: () => user,
    status: 409,
  },
  {
    name: 'files: unknown kind',
    method: 'GET',
    path: () => `/api/zpe/jobs/${queuedJob}/files?kind=pdf`,
    options: () => user,
    status: 422,
  },
  {
    name: 'files: no kind',
    method: 'GET',
    path: () => `/api/zpe/jobs/${queuedJob}/files`,
    options: () => user,
    status: 422,
  },
  // createEnrollToken
  {
    name: 'enroll: nobody',
    method: 'POST',
    path: () => '/api/zpe/compute/enroll-tokens',
    options: () => ({ body: {} }),
    status: 401,
  },
  {
    name: 'enroll: a wrong admin token, no user',
    method: 'POST',
    path: () => '/api/zpe/compute/enroll-tokens',
    options: () => ({ bearer: `${ADMIN_TOKEN}x`, body: {} }),
    status: 401,
  },
  {
    name: 'enroll: ttl as a word',
    method: 'POST',
    path: () => '/api/zpe/compute/enroll-tokens',
    options: () => ({ ...user, body: { ttl_seconds: 'sixty' } }),
    status: 422,
  },
  {
    name: 'enroll: ttl zero',
    method: 'POST',
    path: () => '/api/zpe/compute/enroll-tokens',
    options: () => ({ ...user, body: { ttl_seconds: 0 } }),
    status: 400,
  },
  {
    name: 'enroll: ttl absurd',
    method: 'POST',
    path: () => '/api/zpe/compute/enroll-tokens',
    options: () => ({ ...user, body: { ttl_seconds: 1e15 } }),
    status: 400,
  },
  {
    name: 'enroll: label not a string',
    method: 'POST',
    path: () => '/api/zpe/compute/enroll-tokens',
    options: () => ({ ...user, body: { label: { a: 1 } } }),
    status: 422,
  },
  // registerComputeServer
  ...['', 'nope', '*', 'a b', 'x'.repeat(1000), 'zpe:enroll:*', '🔥'].map(
    (token): Case => ({
      name: `register: token ${token.slice(0, 20)}`,
      method: 'POST',
      path: () => '/api/zpe/compute/servers',
      options: () => ({ body: { token } }),
      status: 400,
      message: 'invalid enroll token',
    }),
  ),
  {
    name: 'register: no token',
    method: 'POST',
    path: () => '/api/zpe/compute/servers',
    options: () => ({ body: { name: 'x' } }),
    status: 422,
  },
  {
    name: 'register: meta not an object',
    method: 'POST',
    path: () => '/api/zpe/compute/servers',
    options: () => ({ body: { token: 'abc', meta: [1] } }),
    status: 422,
  },
  {
    name: 'register: text/plain body',
    method: 'POST',
    path: () => '/api/zpe/compute/servers',
    options: () => ({ raw: '{"token":"abc"}', headers: { 'content-type': 'text/plain' } }),
    status: 422,
  },
  // revokeComputeServer
  {
    name: 'revoke: no admin token',
    method: 'DELETE',
    path: () => `/api/zpe/compute/servers/${worker.id}`,
    options: () => ({}),
    status: 401,
  },
  {
    name: 'revoke: a worker token',
    method: 'DELETE',
    path: () => `/api/zpe/compute/servers/${worker.id}`,
    options: worker_,
    status: 401,
  },
  {
    name: 'revoke: a user',
    method: 'DELETE',
    path: () => `/api/zpe/compute/servers/${worker.id}`,
    options: () => user,
    status: 401,
  },
  // leaseJob
  {
    name: 'lease: no token',
    method: 'POST',
    path: () => '/api/zpe/compute/jobs/lease',
    options: () => ({}),
    status: 401,
    message: 'missing worker token',
  },
  {
    name: 'lease: empty bearer',
    method: 'POST',
    path: () => '/api/zpe/compute/jobs/lease',
    options: () => ({ headers: { authorization: 'Bearer ' } }),
    status: 401,
    message: 'missing worker token',
  },
  {
    name: 'lease: basic auth',
    method: 'POST',
    path: () => '/api/zpe/compute/jobs/lease',
    options: () => ({ headers: { authorization: 'Basic YTpi' } }),
    status: 401,
    message: 'missing worker token',
  },
  {
    name: 'lease: unknown token',
    method: 'POST',
    path: () => '/api/zpe/compute/jobs/lease',
    options: () => ({ bearer: 'x'.repeat(43) }),
    status: 401,
    message: 'token invalid or expired',
  },
  {
    name: 'lease: the admin token',
    method: 'POST',
    path: () => '/api/zpe/compute/jobs/lease',
    options: () => ({ bearer: ADMIN_TOKEN }),
    status: 401,
    message: 'token invalid or expired',
  },
  // reportJobResult
  {
    name: 'result: wrong lease id',
    method: 'POST',
    path: () => `/api/zpe/compute/jobs/${leasedJob}/result`,
    options: () => ({ ...worker_(), body: { ...resultBody(), lease_id: 'f'.repeat(32) } }),
    status: 409,
    message: 'lease mismatch',
  },
  {
    name: 'result: a job not leased',
    method: 'POST',
    path: () => `/api/zpe/compute/jobs/${queuedJob}/result`,
    options: () => ({ ...worker_(), body: resultBody() }),
    status: 409,
    message: 'lease not found',
  },
  ...WEIRD_IDS.map(
    (id): Case => ({
      name: `result: job id ${id.slice(0, 20)}`,
      method: 'POST',
      path: () => `/api/zpe/compute/jobs/${id}/result`,
      options: () => ({ ...worker_(), body: resultBody() }),
      status: 409,
    }),
  ),
  {
    name: 'result: no token',
    method: 'POST',
    path: () => `/api/zpe/compute/jobs/${leasedJob}/result`,
    options: () => ({ body: resultBody() }),
    status: 401,
  },
  {
    name: 'result: unknown token',
    method: 'POST',
    path: () => `/api/zpe/compute/jobs/${leasedJob}/result`,
    options: () => ({ bearer: 'nope', body: resultBody() }),
    status: 401,
  },
  {
    name: 'result: result is an array',
    method: 'POST',
    path: () => `/api/zpe/compute/jobs/${leasedJob}/result`,
    options: () => ({ ...worker_(), body: { ...resultBody(), result: [1] } }),
    status: 422,
  },
  {
    name: 'result: missing files',
    method: 'POST',
    path: () => `/api/zpe/compute/jobs/${leasedJob}/result`,
    options: () => ({ ...worker_(), body: { lease_id: leaseId, result: RESULT } }),
    status: 422,
  },
  {
    name: 'result: oversize',
    method: 'POST',
    path: () => `/api/zpe/compute/jobs/${leasedJob}/result`,
    options: () => ({ ...worker_(), body: { ...resultBody(), summary_text: 's'.repeat(5000) } }),
    status: 413,
  },
  // reportJobFailure
  {
    name: 'failed: wrong lease id',
    method: 'POST',
    path: () => `/api/zpe/compute/jobs/${leasedJob}/failed`,
    options: () => ({ ...worker_(), body: { ...failureBody(), lease_id: '' } }),
    status: 409,
    message: 'lease mismatch',
  },
  {
    name: 'failed: a job not leased',
    method: 'POST',
    path: () => `/api/zpe/compute/jobs/${queuedJob}/failed`,
    options: () => ({ ...worker_(), body: failureBody() }),
    status: 409,
    message: 'lease not found',
  },
  {
    name: 'failed: missing error code',
    method: 'POST',
    path: () => `/api/zpe/compute/jobs/${leasedJob}/failed`,
    options: () => ({ ...worker_(), body: { lease_id: leaseId, error_message: 'm' } }),
    status: 422,
  },
  {
    name: 'failed: not JSON',
    method: 'POST',
    path: () => `/api/zpe/compute/jobs/${leasedJob}/failed`,
    options: () => ({ ...worker_(), raw: 'lease_id=1' }),
    status: 422,
  },
  {
    name: 'failed: unknown token',
    method: 'POST',
    path: () => `/api/zpe/compute/jobs/${leasedJob}/failed`,
    options: () => ({ bearer: 'y'.repeat(43), body: failureBody() }),
    status: 401,
  },
  // listQueueTargets
  ...['limit=0', 'limit=abc', 'offset=-1', 'limit=1.5', 'limit=1e400', 'offset='].map(
    (query): Case => ({
      name: `targets: ${query}`,
      method: 'GET',
      path: () => `/api/zpe/targets?${query}`,
      options: () => user,
      status: 422,
    }),
  ),
  { name: 'targets: no user', method: 'GET', path: () => '/api/zpe/targets', options: () => ({}), status: 401 },
  // selectQueueTarget
  ...[...WEIRD_IDS, 'qt-00000000000000000000000000000000'].map(
    (id): Case => ({
      name: `select: target ${id.slice(0, 20)}`,
      method: 'PUT',
      path: () => `/api/zpe/targets/${id}/active`,
      options: () => user,
      status: 404,
      message: 'target not found',
    }),
  ),
  {
    name: 'select: someone else’s target',
    method: 'PUT',
    path: () => `/api/zpe/targets/${targetId}/active`,
    options: () => ({ user: 'mallory' }),
    status: 404,
    message: 'target not found',
  },
  {
    name: 'select: no user',
    method: 'PUT',
    path: () => `/api/zpe/targets/${targetId}/active`,
    options: () => ({}),
    status: 401,
  },
];

describe('refused requests', () => {
  test.each(CASES.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const before = await snapshot(gw.raw);
    const answer = await gw.call<{ error: { code: string; message: string } }>(c.method, c.path(), c.options());
    expect(answer.status, answer.text).toBe(c.status);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(answer.json.error.code).toBe(CODES[c.status]);
    expect(typeof answer.json.error.message).toBe('string');
    if (c.message) expect(answer.json.error.message).toMatch(c.message);
    if (c.status === 422) {
      // The legacy's (pydantic's) entries: type, loc, msg, input, and ctx when the failure has parameters.
      const details = (answer.json.error as { details?: Record<string, unknown>[] }).details ?? [];
      expect(details.length).toBeGreaterThan(0);
      for (const entry of details) {
        expect(Object.keys(entry).slice(0, 4)).toEqual(['type', 'loc', 'msg', 'input']);
        expect((entry.loc as unknown[])[0]).toMatch(/^(body|query)$/);
      }
    }
    expect(await snapshot(gw.raw)).toEqual(before);
  });

  test('a very large page is just empty, not an error', async () => {
    const answer = await gw.call('GET', `/api/zpe/targets?limit=${2 ** 52}&offset=${Number.MAX_SAFE_INTEGER}`, user);
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ targets: [], pagination: { total: 1 } });
  });

  test('no secret reaches the logs', () => {
    const logs = gw.logs.join('\n');
    expect(logs).not.toContain(worker.worker_token);
    expect(logs).not.toContain(ADMIN_TOKEN);
    expect(gw.logs.some((line) => line.includes('"status":500'))).toBe(false);
  });
});

import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { payloadKey } from '../../src/backends/legacy-redis/keys.js';
import { type RunningGateway, startGateway } from '../support/gateway.js';
import { type PrivateRedis, startRedis } from '../support/redis-server.js';
import { expectedCases, sampleInput } from './expected-files.js';

// Submissions go through the same reader as parse: refused exactly when, and as, the legacy refuses.
let redis: PrivateRedis;
let raw: Redis;
let gw: RunningGateway;

beforeAll(async () => {
  redis = await startRedis();
  raw = redis.client();
  gw = await startGateway({ ZPE_REDIS_URL: redis.url });
  // alice gets an active queue target by registering a worker with her enrollment token.
  const enroll = await gw.fetch('/api/zpe/compute/enroll-tokens', { method: 'POST', user: 'alice', json: {} });
  const { token } = (await enroll.json()) as { token: string };
  const registered = await gw.fetch('/api/zpe/compute/servers', { method: 'POST', json: { token, name: 'w1' } });
  expect(registered.status).toBe(200);
});

afterAll(async () => {
  await gw?.close();
  await redis?.stop();
});

async function submit(body: Record<string, unknown>, user = 'alice') {
  const response = await gw.fetch('/api/zpe/jobs', { method: 'POST', user, json: body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const refusedByParse = expectedCases('refused.json').filter((c) => c.status === 400 || c.status === 404);

describe('every input parse refuses is refused on submission, with the same status and message', () => {
  test.each(refusedByParse.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const answer = await submit({ ...c.request, mobile_indices: [0] });
    expect(answer.status).toBe(c.status);
    expect(answer.body).toEqual(c.body);
    expect(await raw.llen('zpe:queue')).toBe(0);
  });

  test('the WO3 sample (ibrav = 14) too', async () => {
    const answer = await submit({ content: sampleInput('WO3_200_6L_on9W_H2O_slab8A_scf_k331'), mobile_indices: [0] });
    expect(answer.status).toBe(400);
    expect((answer.body as { error: { message: string } }).error.message).toMatch(
      /^QE \.in のパースに失敗しました: ASE does not support ibrav != 0\./,
    );
  });
});

describe('the mobile indices, as the legacy checks them', () => {
  const al = sampleInput('Al001_m4_relax_fromscratch'); // 32 atoms, 0..15 fixed
  test.each([
    ['none', [], '可動原子が空です。'],
    ['one past the last atom', [16, 32], '可動原子のインデックスが範囲外です。'],
    ['negative', [-1, 20], '可動原子のインデックスが範囲外です。'],
    ['a fixed atom', [16, 15], '固定原子が可動原子に含まれています。'],
  ])('%s: 400', async (_, indices, message) => {
    const answer = await submit({ content: al, mobile_indices: indices });
    expect(answer).toEqual({ status: 400, body: { error: { code: 'bad_request', message } } });
  });

  test('accepted: sorted and de-duplicated in the stored payload', async () => {
    const answer = await submit({ content: al, mobile_indices: [31, 16, 31, 17] });
    expect(answer.status).toBe(200);
    const payload = JSON.parse((await raw.get(payloadKey(answer.body.id as string)))!) as { mobile_indices: number[] };
    expect(payload.mobile_indices).toEqual([16, 17, 31]);
  });

  test('a variant the legacy accepts (nat smaller than the lines) is accepted; its extra line is no atom', async () => {
    const variant = expectedCases('variants.json').find((c) => c.name === 'nat_smaller_than_lines')!;
    expect((await submit({ content: variant.request.content, mobile_indices: [0] })).status).toBe(200);
    const beyond = await submit({ content: variant.request.content, mobile_indices: [1] });
    expect(beyond.body).toEqual({ error: { code: 'bad_request', message: '可動原子のインデックスが範囲外です。' } });
  });
});

test('the active target is checked before the structure (step 4 before step 5)', async () => {
  const answer = await submit({ content: '', mobile_indices: [], structure_id: 'abc' }, 'bob');
  expect(answer).toEqual({ status: 400, body: { error: { code: 'bad_request', message: 'no active queue target' } } });
});

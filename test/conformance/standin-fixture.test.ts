import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startNextgenStandin } from '../fixtures/nextgen-standin.js';

const standin = await startNextgenStandin({ basePath: '/v2/zpe' });
afterAll(() => standin.close());
afterEach(() => {
  standin.setFault(undefined);
  standin.resetCounts();
});

const at = (path: string, init: RequestInit = {}) => fetch(`${standin.origin}${path}`, init);
const asAlice = { 'x-dev-user-id': 'alice' };

describe('the next-gen stand-in fixture', () => {
  it('answers /healthz and serves the contract only under its base path', async () => {
    expect(await (await at('/healthz')).json()).toEqual({ status: 'ok' });
    const old = await at('/api/zpe/targets', { headers: asAlice });
    expect(old.status).toBe(404);
    expect((await old.json()).error.code).toBe('not_found');
    expect((await at('/v2/zpe/targets', { headers: asAlice })).status).toBe(200);
  });

  it('serves preloaded jobs to their owner only, and counts what each operation served', async () => {
    const id = standin.preloadJob({
      owner: 'alice',
      status: 'finished',
      result: { zpe_ev: 1 },
      summary: 'sum',
      freqs: 'f',
    });
    const status = await at(`/v2/zpe/jobs/${id}`, { headers: asAlice });
    expect(await status.json()).toMatchObject({ status: 'finished' });
    const file = await at(`/v2/zpe/jobs/${id}/files?kind=freqs`, { headers: asAlice });
    expect([file.headers.get('content-type'), await file.text()]).toEqual(['text/csv; charset=utf-8', 'f']);
    expect((await at(`/v2/zpe/jobs/${id}`, { headers: { 'x-dev-user-id': 'bob' } })).status).toBe(403);
    expect([standin.served('getJobStatus'), standin.served('downloadJobFile'), standin.served()]).toEqual([2, 1, 3]);
  });

  it('answers a configured status on the chosen operations only', async () => {
    standin.setFault({ kind: 'status', status: 502 }, ['listQueueTargets']);
    const broken = await at('/v2/zpe/targets', { headers: asAlice });
    expect(broken.status).toBe(502);
    expect(await broken.json()).toEqual({ error: { code: 'internal_error', message: 'stand-in fault' } });
    expect((await at('/v2/zpe/compute/jobs/lease', { method: 'POST' })).status).toBe(401);
  });

  it('answers late when told to', async () => {
    standin.setFault({ kind: 'delay', ms: 300 });
    const started = performance.now();
    expect((await at('/v2/zpe/targets', { headers: asAlice })).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('drops the connection when told to, after counting the request', async () => {
    standin.setFault({ kind: 'reset' });
    await expect(at('/v2/zpe/targets', { headers: asAlice })).rejects.toThrow();
    expect(standin.served('listQueueTargets')).toBe(1);
  });

  it('refuses a request against the contract with the gateway envelope', async () => {
    const answer = await at('/v2/zpe/jobs', {
      method: 'POST',
      headers: { ...asAlice, 'content-type': 'application/json' },
      body: JSON.stringify({ content: 1 }),
    });
    expect(answer.status).toBe(422);
    expect((await answer.json()).error.details.length).toBeGreaterThan(0);
  });
});

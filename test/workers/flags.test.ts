import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KV_MIN_TTL_SECONDS } from '../../src/flags/kv-storage.js';
import { type NextgenStandin, startNextgenStandin } from '../fixtures/nextgen-standin.js';
import { requestInit, SAMPLE_REQUESTS } from '../routing/requests.js';
import { until } from '../support/until.js';
import { type RunningWorker, startWorker } from './worker.js';

type Json = Record<string, unknown>;

let legacy: NextgenStandin;
let nextgen: NextgenStandin;
let worker: RunningWorker;

beforeAll(async () => {
  legacy = await startNextgenStandin();
  nextgen = await startNextgenStandin({ basePath: '/v2/zpe' });
  worker = await startWorker({
    vars: {
      ZPE_LEGACY_URL: legacy.origin,
      ZPE_NEXTGEN_URL: nextgen.origin,
      ZPE_NEXTGEN_BASE_PATH: '/v2/zpe',
      ZPE_PARITY_MIN_SAMPLES: '3',
      ZPE_PARITY_MIN_RATIO: '1',
      ZPE_OPS_FLAG_MAX_TTL_SECONDS: '7200',
    },
  });
}, 180_000);

afterAll(async () => {
  await worker?.dispose();
  await Promise.all([legacy?.close(), nextgen?.close()]);
});

async function opsFlags(): Promise<Json> {
  const response = await worker.fetch('/api/zpe/admin/ops', { admin: true });
  expect(response.status).toBe(200);
  return (await response.json()) as Json;
}

async function patch(change: Json, headers: Record<string, string> = {}) {
  const response = await worker.fetch('/api/zpe/admin/ops', { method: 'PATCH', admin: true, json: change, headers });
  return { status: response.status, body: (await response.json()) as Json };
}

/** Sends the operation's sample request; answers which backend served it, the reason and the status. */
async function route(op: keyof typeof SAMPLE_REQUESTS) {
  const sample = SAMPLE_REQUESTS[op];
  const response = await worker.fetch(sample.path, requestInit(sample));
  const body = await response.text();
  return {
    backend: response.headers.get('x-zpe-backend'),
    reason: response.headers.get('x-zpe-route-reason'),
    status: response.status,
    body,
  };
}

/** KV's expiry of a key, epoch seconds, as `wrangler kv key list` shows it. */
async function kvExpiration(key: string): Promise<number | undefined> {
  const { keys } = await worker.kv.list({ prefix: key });
  return keys.find((k) => k.name === key)?.expiration;
}

beforeEach(async () => {
  // Every test starts from the defaults: an empty namespace, re-read by this isolate.
  for (;;) {
    const { keys, list_complete } = await worker.kv.list({ prefix: 'zpe:' });
    await Promise.all(keys.map((k) => worker.kv.delete(k.name)));
    if (list_complete) break;
  }
  await opsFlags();
});

describe('flags in Workers KV', () => {
  it('route by a value written straight into KV within the refresh interval, with no admin call', async () => {
    expect((await route('submitJob')).backend).toBe('legacy');
    const started = Date.now();
    // As an operator's tool or the legacy control plane writes it: a plain value, no metadata, no expiry.
    await worker.kv.put('zpe:ops:submission_route', 'next-gen');
    await until(async () => (await route('submitJob')).backend === 'nextgen', 5_000);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect((await route('submitJob')).reason).toBe('flag:submission_route=next-gen');

    await worker.kv.delete('zpe:ops:submission_route');
    await until(async () => (await route('submitJob')).backend === 'legacy', 5_000);
  });

  it('read values with the legacy rules: booleans in any spelling, anything else the default', async () => {
    await worker.kv.put('zpe:ops:submission_enabled', 'FALSE');
    await until(async () => (await route('submitJob')).status === 503, 5_000);
    expect(JSON.parse((await route('submitJob')).body)).toEqual({
      error: { code: 'service_unavailable', message: 'zpe submissions disabled' },
    });
    await worker.kv.put('zpe:ops:submission_enabled', 'maybe');
    await until(async () => (await route('submitJob')).backend === 'legacy', 5_000);
    await worker.kv.put('zpe:ops:dequeue_enabled', '0');
    await until(async () => (await route('leaseJob')).status === 204, 5_000);
    expect((await route('leaseJob')).reason).toBe('flag:dequeue_enabled=false');
  });

  it('write a change through PATCH in the legacy key names and formats, with who, why, until when and an audit entry', async () => {
    const before = Date.now();
    const changed = await patch(
      { submission_route: 'next-gen', reason: 'stage 1', ttl_seconds: 600 },
      {
        'x-zpe-actor': 'ops-alice',
      },
    );
    expect(changed.status).toBe(200);
    expect(changed.body.submission_route).toBe('next-gen');
    expect((changed.body.flags as Record<string, Json>).submission_route).toMatchObject({
      value: 'next-gen',
      source: 'set',
      actor: 'admin:ops-alice',
      reason: 'stage 1',
    });

    expect(await worker.kv.get('zpe:ops:submission_route')).toBe('next-gen');
    const meta = JSON.parse((await worker.kv.get('zpe:ops:meta:submission_route')) ?? '{}') as Json;
    expect(meta).toMatchObject({ actor: 'admin:ops-alice', reason: 'stage 1', forced: false });
    const expiresAt = Date.parse(String(meta.expires_at));
    expect(expiresAt).toBeGreaterThanOrEqual(before + 600_000 - 1_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 600_000 + 1_000);
    const kvExpiry = await kvExpiration('zpe:ops:submission_route');
    expect(Math.abs((kvExpiry ?? 0) * 1000 - expiresAt)).toBeLessThan(2_000);

    await until(async () => (await route('submitJob')).backend === 'nextgen', 5_000);

    expect((await patch({ submission_route: 'redis-worker', reason: 'roll back' })).status).toBe(200);
    expect(await worker.kv.get('zpe:ops:submission_route')).toBe('redis-worker');
    const audit = (await opsFlags()).audit as Json[];
    expect(audit.map((entry) => entry.reason)).toEqual(['roll back', 'stage 1']);
    expect(audit[1]).toMatchObject({
      actor: 'admin:ops-alice',
      forced: false,
      changes: { submission_route: 'next-gen' },
    });
    // One KV entry per change, listed newest first, each expiring after the retention period.
    const { keys } = await worker.kv.list({ prefix: 'zpe:ops:audit:' });
    expect(keys).toHaveLength(2);
    expect(keys.every((k) => (k.expiration ?? 0) * 1000 > Date.now() + 29 * 24 * 3600 * 1000)).toBe(true);
  });

  it(`expire a change shorter than KV's ${KV_MIN_TTL_SECONDS} s minimum on time, though KV keeps the key longer`, async () => {
    const changed = await patch({ dequeue_enabled: false, reason: 'maintenance', ttl_seconds: 2 });
    expect(changed.status).toBe(200);
    const expiresAt = Date.parse(String((changed.body.flags as Record<string, Json>).dequeue_enabled?.expires_at));
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(2_000);
    expect((await route('leaseJob')).status).toBe(204);
    expect(await kvExpiration('zpe:ops:dequeue_enabled')).toBeGreaterThanOrEqual(
      Math.floor(Date.now() / 1000) + KV_MIN_TTL_SECONDS - 5,
    );

    await until(async () => (await route('leaseJob')).backend === 'legacy', 6_000);
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    expect(await worker.kv.get('zpe:ops:dequeue_enabled')).toBe('0');
    expect(((await opsFlags()).flags as Record<string, Json>).dequeue_enabled).toMatchObject({
      value: true,
      source: 'default',
    });
  });

  it('cap a requested lifetime at the configured maximum, in KV too', async () => {
    expect((await patch({ submission_enabled: false, reason: 'long', ttl_seconds: 10_000_000 })).status).toBe(200);
    const kvExpiry = (await kvExpiration('zpe:ops:submission_enabled')) ?? 0;
    expect(kvExpiry * 1000).toBeGreaterThan(Date.now());
    expect(kvExpiry * 1000).toBeLessThanOrEqual(Date.now() + 7200 * 1000 + 1_000);
  });
});

describe('guardrails on Workers (the same code as on Node)', () => {
  it('refuse a forward step that skips the plan, naming it; force needs a reason and is recorded', async () => {
    const skipped = await patch({ result_read_source: 'projection', reason: 'too early' });
    expect(skipped.status).toBe(409);
    const error = skipped.body.error as Json;
    expect(error.code).toBe('conflict');
    expect(String(error.message)).toContain('step 1: next-gen submission path');
    expect(error.details).toMatchObject({ forceable: true });
    expect(await worker.kv.get('zpe:ops:result_read_source')).toBeNull();

    expect((await patch({ result_read_source: 'projection', force: true })).status).toBe(400);
    const forced = await patch({ result_read_source: 'projection', force: true, reason: 'incident 42' });
    expect(forced.status).toBe(200);
    expect(await worker.kv.get('zpe:ops:result_read_source')).toBe('projection');
    const [entry] = (await opsFlags()).audit as Json[];
    expect(entry).toMatchObject({ forced: true, reason: 'incident 42' });
    expect(String((entry?.changes as Json | undefined)?.overridden)).toContain('step 1');

    // Moving back toward legacy is a rollback: always allowed, no force needed.
    expect((await patch({ result_read_source: 'redis', reason: 'roll back' })).status).toBe(200);
  });

  it('keep operators out without the admin token', async () => {
    expect((await worker.fetch('/api/zpe/admin/ops')).status).toBe(401);
    const wrong = await worker.fetch('/api/zpe/admin/ops', { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: Json }).error.code).toBe('unauthorized');
  });
});

describe('shadow reads on Workers (background work kept alive by waitUntil)', () => {
  it('compare reads with the other backend after the answer went out, counting parity', async () => {
    const id = legacy.preloadJob({ owner: 'erin' });
    const same = legacy.job(id);
    expect(same).toBeDefined();
    nextgen.preloadJob({ ...same, owner: 'erin' });
    expect((await patch({ shadow_sample_rate: 1, reason: 'collect evidence' })).status).toBe(200);
    nextgen.resetCounts();
    for (let i = 0; i < 3; i++) {
      const answer = await worker.fetch(`/api/zpe/jobs/${id}`, { user: 'erin' });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('x-zpe-backend')).toBe('legacy');
    }
    const parity = async () =>
      ((await opsFlags()).shadow as { parity: Record<string, Json> }).parity.getJobStatus ?? {};
    await until(async () => Number((await parity()).compared) === 3, 5_000);
    expect(await parity()).toMatchObject({ compared: 3, matched: 3, failed: 0 });
    expect(nextgen.served('getJobStatus')).toBe(3);
  });
});

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../support/gateway.js';
import { freePort, type PrivateRedis, startRedis } from '../support/redis-server.js';
import { until } from '../support/until.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let redis: PrivateRedis;
let nextgen: ChildProcess;
let origin: string;
let gateway: RunningGateway;

beforeAll(async () => {
  redis = await startRedis();
  const port = await freePort();
  // `npm run nextgen`'s program, under another base path.
  nextgen = spawn(process.execPath, ['--import', 'tsx', 'reference/nextgen/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', NEXTGEN_PORT: String(port), NEXTGEN_BASE_PATH: '/v2/zpe' },
    stdio: 'ignore',
  });
  origin = `http://127.0.0.1:${port}`;
  await until(async () => (await fetch(`${origin}/healthz`).catch(() => undefined))?.status === 200, 20_000, 50);
  gateway = await startGateway({
    ZPE_REDIS_URL: redis.url,
    ZPE_NEXTGEN_URL: origin,
    ZPE_NEXTGEN_BASE_PATH: '/v2/zpe',
    ZPE_NEXTGEN_ADMIN_TOKEN: 'nextgen-admin-token',
  });
});

afterAll(async () => {
  await gateway?.close();
  if (nextgen && nextgen.exitCode === null) {
    nextgen.kill('SIGTERM');
    await once(nextgen, 'exit');
  }
  await redis?.stop();
});

describe('the reference next-gen (npm run nextgen)', () => {
  it('imports nothing from the tests', () => {
    for (const file of readdirSync(new URL('../../reference/nextgen/', import.meta.url))) {
      const text = readFileSync(new URL(`../../reference/nextgen/${file}`, import.meta.url), 'utf8');
      expect(text, file).not.toMatch(/from '(\.\.\/)+test\//);
    }
  });

  it('takes the submissions, reads and worker traffic the flags send it through the gateway', async () => {
    const T = { 'content-type': 'application/json' };
    const enroll = await fetch(`${origin}/v2/zpe/compute/enroll-tokens`, {
      method: 'POST',
      headers: { ...T, 'x-dev-user-id': 'alice' },
      body: '{}',
    });
    const { token } = (await enroll.json()) as { token: string };
    const registered = await fetch(`${origin}/v2/zpe/compute/servers`, {
      method: 'POST',
      headers: T,
      body: JSON.stringify({ token, name: 'gpu-1' }),
    });
    const worker = (await registered.json()) as { id: string; worker_token: string };

    const moved = await gateway.fetch('/api/zpe/admin/ops', {
      method: 'PATCH',
      admin: true,
      json: { submission_route: 'next-gen', legacy_worker_endpoints_enabled: false, reason: 'walk', force: true },
    });
    expect(moved.status).toBe(200);
    const content = readFileSync(new URL('../legacy/samples/Si001_m8_relax_fromscratch.in', import.meta.url), 'utf8');
    const submitted = await gateway.fetch('/api/zpe/jobs', {
      method: 'POST',
      user: 'alice',
      json: { content, mobile_indices: [0, 1] },
    });
    expect(submitted.status).toBe(200);
    expect(submitted.headers.get('x-zpe-backend')).toBe('nextgen');
    const { id } = (await submitted.json()) as { id: string };
    const status = await gateway.fetch(`/api/zpe/jobs/${id}`, { user: 'alice' });
    expect(status.status).toBe(200);
    expect(status.headers.get('x-zpe-route-reason')).toBe('flag:result_read_source=redis;continuity:nextgen');
    const lease = await gateway.fetch('/api/zpe/compute/jobs/lease', {
      method: 'POST',
      headers: { authorization: `Bearer ${worker.worker_token}` },
    });
    expect(((await lease.json()) as { job_id: string }).job_id).toBe(id);

    const revoked = await gateway.fetch(`/api/zpe/compute/servers/${worker.id}`, { method: 'DELETE', admin: true });
    expect(revoked.status).toBe(200);
    expect(revoked.headers.get('x-zpe-revoked')).toBe('nextgen=1,legacy=0');
  });
});

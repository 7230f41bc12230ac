import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NextgenStandin, startNextgenStandin } from '../fixtures/nextgen-standin.js';
import { type RunningWorker, startWorker, WORKER_ADMIN_TOKEN } from '../workers/worker.js';

let legacy: NextgenStandin;
let nextgen: NextgenStandin;
let worker: RunningWorker;

beforeAll(async () => {
  legacy = await startNextgenStandin();
  nextgen = await startNextgenStandin();
  worker = await startWorker({ vars: { ZPE_LEGACY_URL: legacy.origin, ZPE_NEXTGEN_URL: nextgen.origin } });
  // Bundling the Worker takes a while on a busy machine.
}, 120_000);

afterAll(async () => {
  await worker?.dispose();
  await Promise.all([legacy?.close(), nextgen?.close()]);
});

const backendOf = (html: string, operation: string) =>
  new RegExp(`data-operation="${operation}">[\\s\\S]*?data-backend="([^"]+)"`).exec(html)?.[1];

describe('the operator page on Workers (workerd)', () => {
  it('signs in, shows where each operation goes, and changes a flag through the admin API', async () => {
    expect((await worker.fetch('/_gateway')).status).toBe(401);
    const login = await worker.fetch('/_gateway/login', {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${encodeURIComponent(WORKER_ADMIN_TOKEN)}`,
    });
    expect(login.status).toBe(303);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    expect(cookie).toMatch(/^zpe_operator=\d+\.[0-9a-f]{64}$/);
    expect(login.headers.get('set-cookie')).toMatch(/HttpOnly/i);

    const page = await worker.fetch('/_gateway', { headers: { cookie } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(backendOf(html, 'parseQeInput')).toBe('nextgen');
    expect(backendOf(html, 'submitJob')).toBe('legacy');
    expect(html).toContain('parity (this instance, 24 h)');

    const changed = await worker.fetch('/_gateway/flags', {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        change: 'submission_route=next-gen',
        reason: 'stage 1 on workers',
        token: WORKER_ADMIN_TOKEN,
      }).toString(),
    });
    expect(changed.status).toBe(200);
    const after = await changed.text();
    expect(after).toContain('Applied');
    expect(backendOf(after, 'submitJob')).toBe('nextgen');
    expect(await worker.kv.get('zpe:ops:submission_route')).toBe('next-gen');
  });
});

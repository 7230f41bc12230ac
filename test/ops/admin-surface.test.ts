import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { jsonLogger } from '../../src/observability/log.js';
import { composeNodeGateway } from '../../src/runtime/node/compose.js';
import { type Listener, startListeners } from '../../src/runtime/node/listeners.js';
import { type NextgenStandin, startNextgenStandin } from '../fixtures/nextgen-standin.js';
import { launchChromium } from '../support/browser.js';
import { type RunningGateway, startGateway } from '../support/gateway.js';
import { type PrivateRedis, startRedis } from '../support/redis-server.js';

let redis: PrivateRedis;

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await redis?.stop();
});

describe('/docs offers no one-click forced change', () => {
  let gateway: RunningGateway;
  let browser: Browser;
  beforeAll(async () => {
    gateway = await startGateway({ ZPE_REDIS_URL: redis.url });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
  });

  it('pre-fills the flag change with a guarded step and no force, and sending it as is meets the guardrail', async () => {
    const page = await browser.newPage();
    await page.goto(`${gateway.origin}/docs`);
    const block = page.locator('#operations-admin-updateOpsFlags');
    await block.locator('.opblock-summary').click({ timeout: 20_000 });
    const editor = block.locator('textarea.body-param__text');
    await editor.waitFor({ timeout: 10_000 });
    const prefilled = JSON.parse(await editor.inputValue()) as Record<string, unknown>;
    expect(prefilled).not.toHaveProperty('force');
    expect(prefilled).toEqual({
      submission_route: 'next-gen',
      reason: 'GRA-22 stage 1: submissions to next-gen',
      ttl_seconds: 3600,
    });
    // No other operation's pre-filled body proposes a force either.
    expect(JSON.stringify(await (await fetch(`${gateway.origin}/api/openapi.json`)).json())).not.toMatch(
      /"force":\s*true/,
    );

    // What "Execute" would send: here no next-gen is configured, so the guardrail refuses it.
    const sent = await gateway.fetch('/api/zpe/admin/ops', { method: 'PATCH', admin: true, json: prefilled });
    expect(sent.status).toBe(409);
    const flags = (await (await gateway.fetch('/api/zpe/admin/ops', { admin: true })).json()) as Record<
      string,
      unknown
    >;
    expect(flags.submission_route).toBe('redis-worker');
    await page.close();
  });
});

describe('the admin listener (ZPE_ADMIN_PORT)', () => {
  let listeners: Listener[];
  let close: () => Promise<void>;
  const origin = (name: Listener['name']) => {
    const listener = listeners.find((l) => l.name === name);
    if (!listener) throw new Error(`no ${name} listener`);
    return `http://127.0.0.1:${(listener.server.address() as AddressInfo).port}`;
  };
  const admin = { authorization: 'Bearer ops-admin' };

  beforeAll(async () => {
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      ZPE_ADMIN_HOST: '127.0.0.1',
      ZPE_ADMIN_PORT: '0',
      AUTH_MODE: 'dev-bypass',
      ZPE_ADMIN_TOKEN: 'ops-admin',
      ZPE_REDIS_URL: redis.url,
    });
    const gateway = await composeNodeGateway(config, jsonLogger('silent'));
    listeners = await startListeners(gateway.app.fetch, config, jsonLogger('silent'));
    close = async () => {
      for (const { server } of listeners) {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close();
      }
      await gateway.close();
    };
  });
  afterAll(async () => {
    await close?.();
  });

  it('serves the admin operations and the operator routes there, and the public listener refuses them', async () => {
    const flags = await fetch(`${origin('admin')}/api/zpe/admin/ops`, { headers: admin });
    expect(flags.status).toBe(200);
    const callers = await fetch(`${origin('admin')}/admin/callers?days=1`, { headers: admin });
    expect(callers.status).toBe(200);

    for (const [method, path] of [
      ['GET', '/api/zpe/admin/ops'],
      ['PATCH', '/api/zpe/admin/ops'],
      ['DELETE', '/api/zpe/compute/servers/compute-1'],
      ['GET', '/admin/callers?days=1'],
      ['GET', '/metrics'],
      ['GET', '/_gateway'],
    ] as const) {
      const refused = await fetch(`${origin('public')}${path}`, { method, headers: admin });
      expect(refused.status, `${method} ${path}`).toBe(404);
      const { error } = (await refused.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe('not_found');
      expect(error.message).toContain('admin operations are on the admin listener');
    }
  });

  it('keeps the public operations on the public listener only; probes and the reference answer on both', async () => {
    const targets = await fetch(`${origin('public')}/api/zpe/targets`, { headers: { 'x-dev-user-id': 'ada' } });
    expect(targets.status).toBe(200);
    const elsewhere = await fetch(`${origin('admin')}/api/zpe/targets`, { headers: { 'x-dev-user-id': 'ada' } });
    expect(elsewhere.status).toBe(404);
    // An enrollment token may be created by a user or an admin: a public operation.
    const enroll = await fetch(`${origin('public')}/api/zpe/compute/enroll-tokens`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(enroll.status).toBe(200);
    for (const side of ['public', 'admin'] as const) {
      for (const path of ['/healthz', '/readyz', '/api/openapi.json', '/docs']) {
        expect((await fetch(`${origin(side)}${path}`)).status, `${side} ${path}`).toBe(200);
      }
    }
  });
});

describe('the emergency revoke with each backend’s own admin credential', () => {
  let legacy: NextgenStandin;
  let nextgen: NextgenStandin;
  let gateway: RunningGateway;

  beforeAll(async () => {
    [legacy, nextgen] = await Promise.all([
      startNextgenStandin({ adminToken: 'legacy-only-token' }),
      startNextgenStandin({ adminToken: 'nextgen-only-token' }),
    ]);
    gateway = await startGateway({
      ZPE_REDIS_URL: redis.url,
      ZPE_LEGACY_URL: legacy.origin,
      ZPE_NEXTGEN_URL: nextgen.origin,
      ZPE_ADMIN_TOKEN: 'gateway-admin-token',
      ZPE_LEGACY_ADMIN_TOKEN: 'legacy-only-token',
      ZPE_NEXTGEN_ADMIN_TOKEN: 'nextgen-only-token',
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await Promise.all([legacy?.close(), nextgen?.close()]);
  });

  /** A server registered directly at one backend, with an admin-made enrollment token. */
  async function registerAt(backend: NextgenStandin): Promise<string> {
    const base = `${backend.origin}${backend.basePath}`;
    const enroll = await fetch(`${base}/compute/enroll-tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${backend.adminToken}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const { token } = (await enroll.json()) as { token: string };
    const registered = await fetch(`${base}/compute/servers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    });
    return ((await registered.json()) as { id: string }).id;
  }

  const revoke = (id: string, token: string) =>
    gateway.fetch(`/api/zpe/compute/servers/${id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });

  it('revokes at each backend with its credential, and says what each revoked', async () => {
    const id = await registerAt(nextgen);
    legacy.resetCounts();
    nextgen.resetCounts();
    const done = await revoke(id, 'gateway-admin-token');
    expect(done.status).toBe(200);
    expect(await done.json()).toEqual({ revoked_count: 1 });
    expect(done.headers.get('x-zpe-revoked')).toBe('legacy=0,nextgen=1');
    expect(done.headers.get('x-zpe-backend')).toBe('legacy+nextgen');
    expect([legacy.served('revokeComputeServer'), nextgen.served('revokeComputeServer')]).toEqual([1, 1]);
    // The worker token is revoked where it was issued.
    const again = await revoke(id, 'gateway-admin-token');
    expect(again.headers.get('x-zpe-revoked')).toBe('legacy=0,nextgen=0');
  });

  it('never lends a backend credential to a caller who is not the gateway’s admin', async () => {
    const id = await registerAt(legacy);
    legacy.resetCounts();
    nextgen.resetCounts();
    for (const token of ['legacy-only-token', 'nextgen-only-token', 'guess']) {
      const refused = await revoke(id, token);
      expect(refused.status, token).toBe(401);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toBe('invalid admin token');
      expect(refused.headers.get('x-zpe-backend')).toBe('gateway');
    }
    const anonymous = await gateway.fetch(`/api/zpe/compute/servers/${id}`, { method: 'DELETE' });
    expect(anonymous.status).toBe(401);
    expect(legacy.served() + nextgen.served()).toBe(0);
  });

  it('reports a partial revoke per backend, failure included', async () => {
    const id = await registerAt(legacy);
    nextgen.setFault({ kind: 'status', status: 503 }, ['revokeComputeServer']);
    try {
      const partial = await revoke(id, 'gateway-admin-token');
      expect(partial.status).toBe(503);
      expect(partial.headers.get('x-zpe-revoked-at')).toBe('legacy');
      expect(partial.headers.get('x-zpe-revoked')).toBe('legacy=1,nextgen=failed:503');
    } finally {
      nextgen.setFault(undefined);
    }
  });
});

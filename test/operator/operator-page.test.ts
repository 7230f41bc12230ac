import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QE_INPUT } from '../../contract-tests/samples.js';
import { type NextgenStandin, startNextgenStandin } from '../fixtures/nextgen-standin.js';
import { deprecatedManifest } from '../retirement/harness.js';
import { launchChromium } from '../support/browser.js';
import { type RunningGateway, startGateway, TEST_ADMIN_TOKEN } from '../support/gateway.js';
import { type PrivateRedis, startRedis } from '../support/redis-server.js';

let redis: PrivateRedis;
let legacy: NextgenStandin;
let nextgen: NextgenStandin;
let a: RunningGateway;
let b: RunningGateway;
let browser: Browser;

/** Where each operation goes with both backends configured and every flag at its default (DESIGN.md's table). */
const AT_DEFAULTS: Record<string, string> = {
  parseQeInput: 'nextgen',
  submitJob: 'legacy',
  getJobStatus: 'legacy',
  getJobResult: 'legacy',
  downloadJobFile: 'legacy',
  createEnrollToken: 'legacy',
  registerComputeServer: 'legacy',
  revokeComputeServer: 'legacy+nextgen',
  leaseJob: 'legacy',
  reportJobResult: 'legacy',
  reportJobFailure: 'legacy',
  listQueueTargets: 'legacy',
  selectQueueTarget: 'legacy',
  getOpsFlags: 'gateway',
  updateOpsFlags: 'gateway',
};

async function backendsShown(page: Page): Promise<Record<string, string>> {
  return page
    .locator('tr[data-operation]')
    .evaluateAll((rows) =>
      Object.fromEntries(
        rows.map((row) => [
          row.getAttribute('data-operation'),
          row.querySelector('.backend-now')?.getAttribute('data-backend') ?? '',
        ]),
      ),
    );
}

beforeAll(async () => {
  redis = await startRedis();
  legacy = await startNextgenStandin();
  nextgen = await startNextgenStandin();
  const env = { ZPE_REDIS_URL: redis.url, ZPE_LEGACY_URL: legacy.origin, ZPE_NEXTGEN_URL: nextgen.origin };
  // On a manifest in which an operator deprecated the job, worker and target endpoints.
  const manifest = deprecatedManifest();
  [a, b] = await Promise.all([startGateway(env, { manifest }), startGateway(env, { manifest })]);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([a?.close(), b?.close()]);
  await Promise.all([legacy?.close(), nextgen?.close()]);
  await redis?.stop();
});

describe('the operator page /_gateway', () => {
  it('is refused without the admin token, shown with it (bearer)', async () => {
    const anonymous = await a.fetch('/_gateway');
    expect(anonymous.status).toBe(401);
    const login = await anonymous.text();
    expect(login).toContain('Sign in with the admin token');
    expect(login).not.toContain('data-operation');
    const wrong = await a.fetch('/_gateway', { headers: { authorization: 'Bearer wrong' } });
    expect(wrong.status).toBe(401);
    const shown = await a.fetch('/_gateway', { admin: true });
    expect(shown.status).toBe(200);
    expect(shown.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(shown.headers.get('cache-control')).toBe('no-store');
    expect(await shown.text()).toContain('data-operation="submitJob"');
  });

  it('still answers with Redis hung, saying what it could not read', async () => {
    redis.pause();
    try {
      const started = Date.now();
      const shown = await a.fetch('/_gateway', { admin: true });
      expect(shown.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(5000);
      const html = await shown.text();
      expect(html).toContain('flag store unreachable: cached values');
      expect(html).toContain('unknown: caller counts unreachable');
      expect(html).toContain('data-operation="submitJob"');
    } finally {
      redis.resume();
    }
  });

  it('in a real browser: login, the backend per operation and its traffic, a flip made through another instance, the guardrail answer', async () => {
    for (let i = 0; i < 3; i++) await (await a.fetch('/api/zpe/targets', { user: 'alice' })).arrayBuffer();
    for (let i = 0; i < 2; i++)
      await (await a.fetch('/api/zpe/parse', { method: 'POST', json: { content: QE_INPUT } })).arrayBuffer();

    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    const outside: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(a.origin)) outside.push(request.url());
    });

    const first = await page.goto(`${a.origin}/_gateway`);
    expect(first?.status()).toBe(401);
    expect(await page.locator('tr[data-operation]').count()).toBe(0);
    await page.fill('input[name=token]', 'not-the-token');
    await page.click('button[type=submit]');
    expect(await page.locator('#login-error').textContent()).toBe('invalid admin token');
    await page.fill('input[name=token]', TEST_ADMIN_TOKEN);
    await Promise.all([page.waitForURL(`${a.origin}/_gateway`), page.click('button[type=submit]')]);
    expect(await page.locator('#stage').textContent()).toBe('all on legacy');
    expect(await backendsShown(page)).toEqual(AT_DEFAULTS);
    const targets = page.locator('tr[data-operation=listQueueTargets]');
    expect(await targets.textContent()).toContain('deprecated');
    expect(await targets.locator('td').nth(4).textContent()).toBe('legacy 3');
    expect(await page.locator('tr[data-operation=parseQeInput] td').nth(4).textContent()).toBe('nextgen 2');
    expect(await page.locator('tr[data-callers=listQueueTargets]').textContent()).toContain('user:alice 3');

    // A flip through instance B shows after a reload of instance A's page.
    const flipped = await b.fetch('/api/zpe/admin/ops', {
      method: 'PATCH',
      admin: true,
      headers: { 'x-zpe-actor': 'jane' },
      json: { submission_route: 'next-gen', reason: 'GRA-22 stage 1', ttl_seconds: 1800 },
    });
    expect(flipped.status).toBe(200);
    await page.reload();
    expect(await page.locator('#stage').textContent()).toBe('stage 1: submissions moved');
    expect((await backendsShown(page)).submitJob).toBe('nextgen');
    const flag = page.locator('tr[data-flag=submission_route]');
    expect(await flag.locator('.flag-value').textContent()).toBe('next-gen');
    expect(await flag.textContent()).toContain('admin:jane');
    expect(await flag.textContent()).toContain('GRA-22 stage 1');
    expect(await flag.locator('.countdown').textContent()).toMatch(/^(29m \d+s|30m 0s)$/);

    // A write from the page needs the token and shows the guardrail's answer.
    await page.selectOption('select[name=change]', 'result_read_source=projection');
    await page.fill('input[name=reason]', 'reads too');
    await page.fill('form#change input[name=token]', TEST_ADMIN_TOKEN);
    await page.click('form#change button[type=submit]');
    const refused = await page.locator('#outcome').textContent();
    expect(refused).toContain('Refused (409)');
    expect(refused).toContain('shadow-read parity 0/0 does not meet the bar');
    expect((await backendsShown(page)).getJobStatus).toBe('legacy');

    await page.selectOption('select[name=change]', 'dequeue_enabled=false');
    await page.fill('input[name=reason]', 'maintenance');
    await page.fill('form#change input[name=token]', 'wrong-token');
    await page.click('form#change button[type=submit]');
    expect(await page.locator('#outcome').textContent()).toContain('Refused (401)');

    await page.selectOption('select[name=change]', 'dequeue_enabled=false');
    await page.fill('input[name=reason]', 'maintenance');
    await page.fill('form#change input[name=actor]', 'jane');
    await page.fill('form#change input[name=token]', TEST_ADMIN_TOKEN);
    await page.click('form#change button[type=submit]');
    expect(await page.locator('#outcome').textContent()).toContain('Applied');
    expect((await backendsShown(page)).leaseJob).toBe('none');
    const viaB = (await (await b.fetch('/api/zpe/admin/ops', { admin: true })).json()) as {
      flags: Record<string, { value: unknown; actor: string }>;
    };
    expect(viaB.flags.dequeue_enabled).toMatchObject({ value: false, actor: 'admin:jane' });

    await page.goto(`${a.origin}/_gateway`);
    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: 'test-artifacts/operator-page.png', fullPage: true });
    await page.screenshot({ path: 'test-artifacts/operator-page-top.png' });
    expect(outside).toEqual([]);

    // Signing out ends the session.
    await page.click('form.logout button');
    expect(await page.locator('tr[data-operation]').count()).toBe(0);
    await context.close();
  }, 90_000);
});

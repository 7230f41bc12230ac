import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATIONS } from '../../src/contract/operations.js';
import { launchChromium } from '../support/browser.js';
import { type RunningGateway, startGateway } from '../support/gateway.js';
import { type PrivateRedis, startRedis } from '../support/redis-server.js';

let redis: PrivateRedis;
let gateway: RunningGateway;
let browser: Browser;

beforeAll(async () => {
  redis = await startRedis();
  gateway = await startGateway({ ZPE_REDIS_URL: redis.url });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await gateway?.close();
  await redis?.stop();
});

describe('/docs', () => {
  it('renders the interactive reference of every operation in a real browser, without reaching the internet', async () => {
    const page = await browser.newPage();
    const outside: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(gateway.origin)) outside.push(request.url());
    });
    await page.goto(`${gateway.origin}/docs`);
    const contract = (await (await fetch(`${gateway.origin}/api/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { deprecated?: boolean }>>;
    };
    const published = Object.entries(contract.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ path, method, deprecated: op.deprecated === true })),
    );
    expect(published.length).toBeGreaterThan(0);
    await page.waitForFunction((n) => document.querySelectorAll('.opblock').length >= n, published.length, {
      timeout: 20_000,
    });
    const rendered = await page.locator('.opblock').evaluateAll((blocks) =>
      blocks.map((block) => ({
        path: (block.querySelector('.opblock-summary-path, .opblock-summary-path__deprecated')?.textContent ?? '')
          .replace(/\u200b/g, '')
          .trim(),
        method: (block.querySelector('.opblock-summary-method')?.textContent ?? '').toLowerCase(),
        deprecated: block.classList.contains('opblock-deprecated'),
      })),
    );
    const key = (o: { path: string; method: string; deprecated: boolean }) => `${o.method} ${o.path} ${o.deprecated}`;
    expect(rendered.map(key).sort()).toEqual(published.map(key).sort());
    for (const op of published) expect(OPERATIONS.some((o) => o.path === op.path && o.method === op.method)).toBe(true);
    expect(outside).toEqual([]);
    await page.close();
  });
});

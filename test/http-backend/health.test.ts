import { afterEach, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backends/backend.js';
import { createHttpBackend } from '../../src/backends/http/http-backend.js';
import { silentLogger } from '../../src/observability/log.js';
import { freePort } from '../support/redis-server.js';
import { CLIENTS, startUpstream, type Upstream } from './harness.js';

describe.each(CLIENTS)('health check through the $label client', ({ client }) => {
  let upstream: Upstream | undefined;
  let backend: Backend | undefined;

  afterEach(async () => {
    await backend?.close();
    await upstream?.close();
    backend = undefined;
    upstream = undefined;
  });

  const make = (baseUrl: string, extra: { healthPath?: string; healthTimeoutMs?: number } = {}) =>
    createHttpBackend({
      name: 'nextgen',
      baseUrl,
      basePath: '/v2/zpe',
      client,
      timeouts: { defaultMs: 10_000 },
      logger: silentLogger,
      ...extra,
    });

  it('resolves ok when GET {baseUrl}/healthz answers 2xx, outside the base path', async () => {
    upstream = await startUpstream((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    backend = make(`${upstream.origin}/edge`);

    await expect(backend.check()).resolves.toBe('ok');
    expect(upstream.seen.map((s) => `${s.method} ${s.url}`)).toEqual(['GET /edge/healthz']);
  });

  it('asks a configured health path instead', async () => {
    upstream = await startUpstream((_req, res) => res.writeHead(204).end());
    backend = make(upstream.origin, { healthPath: 'internal/ready' });

    await expect(backend.check()).resolves.toBe('ok');
    expect(upstream.seen[0]?.url).toBe('/internal/ready');
  });

  it('rejects with the status an unhealthy upstream answers', async () => {
    upstream = await startUpstream((_req, res) => res.writeHead(503).end('draining'));
    backend = make(upstream.origin);

    await expect(backend.check()).rejects.toThrow('nextgen backend health check answered 503');
  });

  it('rejects when nothing listens', async () => {
    backend = make(`http://127.0.0.1:${await freePort()}`);

    await expect(backend.check()).rejects.toThrow('nextgen backend unreachable');
  });

  it('rejects within its short timeout when the upstream does not answer', async () => {
    upstream = await startUpstream(() => {});
    backend = make(upstream.origin, { healthTimeoutMs: 200 });

    const started = performance.now();
    await expect(backend.check()).rejects.toThrow('nextgen backend health check did not answer within 200 ms');
    expect(performance.now() - started).toBeLessThan(200 + 500);
  });
});

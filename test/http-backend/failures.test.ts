import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/redis-server.js';
import { CLIENTS, type Gateway, signal, startGateway, startUpstream, type Upstream } from './harness.js';

const SUBMISSION = { content: '&control\n/', mobile_indices: [0] };

function submit(gateway: Gateway, init: RequestInit = {}): Promise<Response> {
  return fetch(`${gateway.origin}/api/zpe/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(SUBMISSION),
    ...init,
  });
}

describe.each(CLIENTS)('upstream failures through the $label client', ({ client }) => {
  let upstream: Upstream | undefined;
  let gateway: Gateway | undefined;

  afterEach(async () => {
    await gateway?.close();
    await upstream?.close();
    gateway = undefined;
    upstream = undefined;
  });

  it('answers 502 in the envelope, naming the backend, when nothing listens upstream', async () => {
    const port = await freePort();
    gateway = await startGateway({ name: 'nextgen', baseUrl: `http://127.0.0.1:${port}`, client });

    for (const res of [await fetch(`${gateway.origin}/api/zpe/jobs/j-1`), await submit(gateway)]) {
      expect(res.status).toBe(502);
      expect(res.headers.get('x-zpe-backend')).toBe('nextgen');
      const body = await res.json();
      expect(body).toEqual({ error: { code: 'bad_gateway', message: 'nextgen backend unreachable' } });
      expect(JSON.stringify(body)).not.toMatch(/127\.0\.0\.1|ECONN|\d{4,5}/);
    }
  });

  it('answers 502 when the upstream speaks something other than HTTP, without asking again', async () => {
    let connections = 0;
    const server = createServer((socket) => {
      connections++;
      socket.end('not http at all\r\n\r\n');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as AddressInfo;
      gateway = await startGateway({ name: 'legacy', baseUrl: `http://127.0.0.1:${port}`, client });

      const res = await fetch(`${gateway.origin}/api/zpe/jobs/j-1`);

      expect(res.status).toBe(502);
      expect(await res.json()).toEqual({
        error: { code: 'bad_gateway', message: 'legacy backend sent an invalid response' },
      });
      expect(connections).toBe(1);
    } finally {
      server.close();
    }
  });

  it('answers 504 within the operation’s budget when the upstream is slower, and cancels the upstream call', async () => {
    const cancelled = signal();
    upstream = await startUpstream((_req, res) => res.on('close', () => cancelled.fire()));
    gateway = await startGateway({
      name: 'legacy',
      baseUrl: upstream.origin,
      client,
      timeouts: { defaultMs: 10_000, byOperation: { getJobStatus: 300 } },
    });

    const started = performance.now();
    const res = await fetch(`${gateway.origin}/api/zpe/jobs/j-slow`);
    const elapsed = performance.now() - started;

    expect(res.status).toBe(504);
    expect(await res.json()).toEqual({
      error: { code: 'gateway_timeout', message: 'legacy backend did not answer within 300 ms' },
    });
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(300 + 500);
    await cancelled.promise;
    expect(upstream.seen).toHaveLength(1);
  });

  it('gives each operation its own budget: a write outlives a read’s shorter one', async () => {
    const writeArrived = signal();
    const releaseWrite = signal();
    upstream = await startUpstream((req, res) => {
      if (req.method !== 'POST') return;
      writeArrived.fire();
      void releaseWrite.promise.then(() =>
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"j-2"}'),
      );
    });
    gateway = await startGateway({
      name: 'legacy',
      baseUrl: upstream.origin,
      client,
      timeouts: { defaultMs: 10_000, byOperation: { getJobStatus: 200 } },
    });

    const write = submit(gateway);
    await writeArrived.promise;
    const read = await fetch(`${gateway.origin}/api/zpe/jobs/j-2`);
    expect(read.status).toBe(504);
    releaseWrite.fire();

    const written = await write;
    expect(written.status).toBe(200);
    expect(await written.json()).toEqual({ id: 'j-2' });
  });

  it('cancels the upstream call when the client goes away', async () => {
    const arrived = signal();
    const upstreamClosed = signal();
    upstream = await startUpstream((_req, res) => {
      res.on('close', () => upstreamClosed.fire());
      arrived.fire();
    });
    // A budget far beyond the test's own timeout: only the client's abort can end this call in time.
    gateway = await startGateway({
      name: 'legacy',
      baseUrl: upstream.origin,
      client,
      timeouts: { defaultMs: 300_000 },
    });

    const abort = new AbortController();
    const pending = submit(gateway, { signal: abort.signal });
    await arrived.promise;
    abort.abort();

    await expect(pending).rejects.toThrow();
    await upstreamClosed.promise;
    expect(upstream.seen).toHaveLength(1);
  });

  it('tries a read once more after a connection reset', async () => {
    upstream = await startUpstream((req, res) => {
      if (upstreamHits() === 1) req.socket.destroy();
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"queued"}');
    });
    const upstreamHits = () => upstream?.seen.length ?? 0;
    gateway = await startGateway({ name: 'legacy', baseUrl: upstream.origin, client });

    const res = await fetch(`${gateway.origin}/api/zpe/jobs/j-3`);

    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'queued' });
    expect(upstream.seen.map((s) => s.url)).toEqual(['/api/zpe/jobs/j-3', '/api/zpe/jobs/j-3']);
  });

  it('tries a read once more after a 503, and only once', async () => {
    upstream = await startUpstream((_req, res) =>
      res
        .writeHead(503, { 'content-type': 'application/json' })
        .end('{"error":{"code":"service_unavailable","message":"busy"}}'),
    );
    gateway = await startGateway({ name: 'legacy', baseUrl: upstream.origin, client });

    const res = await fetch(`${gateway.origin}/api/zpe/jobs/j-4/result`);

    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: { code: 'service_unavailable', message: 'busy' } });
    expect(upstream.seen).toHaveLength(2);
  });

  it('never sends a write twice, whether the connection resets or the upstream answers 502', async () => {
    let answer502 = false;
    upstream = await startUpstream((req, res) => {
      if (answer502)
        res
          .writeHead(502, { 'content-type': 'application/json' })
          .end('{"error":{"code":"bad_gateway","message":"x"}}');
      else req.socket.destroy();
    });
    gateway = await startGateway({ name: 'legacy', baseUrl: upstream.origin, client });

    const reset = await submit(gateway);
    expect(reset.status).toBe(502);
    expect((await reset.json()).error.message).toBe('legacy backend closed the connection before answering');
    expect(upstream.seen).toHaveLength(1);

    answer502 = true;
    const refused = await submit(gateway);
    expect(refused.status).toBe(502);
    await refused.arrayBuffer();
    expect(upstream.seen).toHaveLength(2);
  });

  it('reuses kept-alive upstream connections across sequential requests', async () => {
    upstream = await startUpstream((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"finished"}'),
    );
    gateway = await startGateway({ name: 'legacy', baseUrl: upstream.origin, client });

    for (let i = 0; i < 50; i++) {
      const res = await fetch(`${gateway.origin}/api/zpe/jobs/j-${i}`);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }

    expect(upstream.seen).toHaveLength(50);
    expect(upstream.connections).toBeLessThanOrEqual(2);
  });
});

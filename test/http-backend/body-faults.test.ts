import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { configuredHttpBackends } from '../../src/backends/http/configured.js';
import { createUndiciClient } from '../../src/backends/http/undici-client.js';
import { loadConfig } from '../../src/config/env.js';
import { operationById } from '../../src/contract/operations.js';
import { silentLogger } from '../../src/observability/log.js';
import { CLIENTS, type Gateway, startGateway, startUpstream, type Upstream } from './harness.js';

const STATUS = JSON.stringify({ status: 'finished', detail: null, updated_at: '2026-02-15T09:30:00+00:00' });

/** Reads a whole answer over a fresh connection; `failed` when the connection ended before the body did. */
function readAll(url: string): Promise<{ status: number; body: string; failed: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, failed: !res.complete }));
      res.on('aborted', () => resolve({ status: res.statusCode ?? 0, body, failed: true }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body, failed: true }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe.each(CLIENTS)('faults after the headers through the $label client', ({ client }) => {
  let upstream: Upstream | undefined;
  let gateway: Gateway | undefined;

  afterEach(async () => {
    await gateway?.close();
    await upstream?.close();
    gateway = undefined;
    upstream = undefined;
  });

  it('answers 504 in the envelope within the budget when the body drips one byte every 500 ms', async () => {
    upstream = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': STATUS.length });
      let at = 0;
      const drip = setInterval(() => {
        if (res.destroyed || at >= STATUS.length) return clearInterval(drip);
        res.write(STATUS[at++]);
      }, 500);
      res.on('close', () => clearInterval(drip));
    });
    gateway = await startGateway({ name: 'nextgen', baseUrl: upstream.origin, client, timeouts: { defaultMs: 2_000 } });

    const started = performance.now();
    const res = await fetch(`${gateway.origin}/api/zpe/jobs/j-drip`);
    const body = await res.json();
    const elapsed = performance.now() - started;

    expect(res.status).toBe(504);
    expect(body).toEqual({
      error: { code: 'gateway_timeout', message: 'nextgen backend did not answer within 2000 ms' },
    });
    expect(elapsed).toBeGreaterThanOrEqual(1_950);
    expect(elapsed).toBeLessThan(2_000 + 1_500);
  });

  it('answers 502 in the envelope when the upstream resets mid-body or sends fewer bytes than its content-length', async () => {
    upstream = await startUpstream((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': STATUS.length });
      res.write(STATUS.slice(0, 20));
      // j-reset: the connection is torn down; j-short: it ends cleanly after too few bytes.
      if (req.url?.endsWith('j-reset')) setTimeout(() => req.socket.resetAndDestroy(), 20);
      else setTimeout(() => req.socket.end(), 20);
    });
    gateway = await startGateway({ name: 'nextgen', baseUrl: upstream.origin, client });

    for (const job of ['j-reset', 'j-short']) {
      const res = await fetch(`${gateway.origin}/api/zpe/jobs/${job}`);
      expect(res.status, job).toBe(502);
      expect(await res.json(), job).toEqual({
        error: { code: 'bad_gateway', message: 'nextgen backend broke off its answer' },
      });
    }
  });

  it('ends the client’s response as failed, never as a complete 200, when a streamed answer breaks off', async () => {
    const chunk = 'x'.repeat(64 * 1024);
    upstream = await startUpstream((req, res) => {
      res.writeHead(200, { 'content-type': 'text/csv' });
      // Past the size read whole, so the client already has its headers when the upstream goes.
      for (let i = 0; i < 23; i++) res.write(chunk);
      // The last chunk on its way, then the connection closes without the chunked body's end.
      res.write(chunk, () => req.socket.end());
    });
    gateway = await startGateway({ name: 'legacy', baseUrl: upstream.origin, client });

    const answer = await readAll(`${gateway.origin}/api/zpe/jobs/j-big/files?kind=freqs`);

    expect(answer.status).toBe(200);
    expect(answer.failed).toBe(true);
    expect(answer.body.length).toBeLessThan(24 * chunk.length + 1);
  });

  it('ends a streamed answer as failed when the deadline passes mid-body', async () => {
    const chunk = 'x'.repeat(64 * 1024);
    upstream = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/csv' });
      for (let i = 0; i < 24; i++) res.write(chunk);
      // ...and then nothing more: the call's one deadline must end it.
    });
    gateway = await startGateway({
      name: 'legacy',
      baseUrl: upstream.origin,
      client,
      timeouts: { defaultMs: 10_000, byOperation: { downloadJobFile: 800 } },
    });

    const started = performance.now();
    const answer = await readAll(`${gateway.origin}/api/zpe/jobs/j-big/files?kind=freqs`);

    expect(answer.failed).toBe(true);
    expect(performance.now() - started).toBeLessThan(800 + 1_500);
  });

  it('answers 502 for answers outside the contract, and passes declared errors in the envelope through', async () => {
    upstream = await startUpstream((req, res) => {
      const job = req.url?.split('/').at(-1);
      if (job === 'j-999') res.writeHead(999, { 'content-type': 'application/json' }).end(STATUS);
      else if (job === 'j-500')
        res.writeHead(500, { 'content-type': 'text/html' }).end('<html><pre>Traceback (most recent call last)</pre>');
      else if (job === 'j-text404') res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
      else if (job === 'j-badjson') res.writeHead(200, { 'content-type': 'application/json' }).end('{"status": fin');
      else
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end('{"error":{"code":"not_found","message":"job not found"}}');
    });
    gateway = await startGateway({ name: 'legacy', baseUrl: upstream.origin, client });

    const expected: Record<string, string> = {
      'j-999': 'status 999 is not declared',
      'j-500': 'status 500 is not declared',
      'j-text404': 'error body is not the JSON error envelope',
      'j-badjson': 'body is not JSON',
    };
    for (const [job, violation] of Object.entries(expected)) {
      const res = await fetch(`${gateway.origin}/api/zpe/jobs/${job}`);
      expect(res.status, job).toBe(502);
      const body = await res.json();
      expect(body, job).toEqual({
        error: {
          code: 'bad_gateway',
          message: 'legacy backend answered outside the contract',
          details: { violations: [violation] },
        },
      });
      expect(JSON.stringify(body)).not.toContain('Traceback');
    }

    const declared = await fetch(`${gateway.origin}/api/zpe/jobs/j-missing`);
    expect(declared.status).toBe(404);
    expect(await declared.json()).toEqual({ error: { code: 'not_found', message: 'job not found' } });
  });
});

describe('dev identity headers', () => {
  it('are not forwarded unless dev-bypass is on', async () => {
    const upstream = await startUpstream((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(STATUS),
    );
    try {
      for (const mode of ['clerk', 'dev-bypass'] as const) {
        const config = loadConfig({
          AUTH_MODE: mode,
          AUTH_CLERK_ISSUER: 'https://issuer.example',
          ZPE_BUILTIN_LEGACY: 'false',
          ZPE_NEXTGEN_URL: upstream.origin,
          AUTH_DEV_BYPASS_USER_ID_HEADER: 'X-Test-User',
        });
        const backend = configuredHttpBackends(config, createUndiciClient, silentLogger).nextgen!;
        const request = new Request('http://gw.example/api/zpe/jobs/j-1', {
          headers: { 'x-test-user': 'mallory', 'x-dev-user-email': 'm@example.com', authorization: 'Bearer t' },
        });
        const answer = await backend.serve({
          operation: operationById('getJobStatus')!,
          params: { job_id: 'j-1' },
          query: {},
          body: undefined,
          request,
          requestId: `req-${mode}`,
        });
        await answer.arrayBuffer();
        await backend.close();
        const seen = upstream.seen.at(-1)!.headers;
        expect(seen.authorization, mode).toBe('Bearer t');
        if (mode === 'clerk') {
          expect(seen['x-test-user']).toBeUndefined();
          expect(seen['x-dev-user-email']).toBeUndefined();
        } else {
          expect(seen['x-test-user']).toBe('mallory');
          expect(seen['x-dev-user-email']).toBe('m@example.com');
        }
      }
    } finally {
      await upstream.close();
    }
  });
});

import { once } from 'node:events';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createUndiciClient } from '../../src/backends/http/undici-client.js';
import { until } from '../support/until.js';
import { type Gateway, signal, startGateway, startUpstream, type Upstream } from './harness.js';

/** Sends raw bytes on a fresh connection; resolves with everything the gateway answered before closing. */
async function raw(origin: string, bytes: string): Promise<string> {
  const { port } = new URL(origin);
  const socket = connect(Number(port), '127.0.0.1');
  await once(socket, 'connect');
  let answer = '';
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => {
    answer += d;
  });
  socket.on('error', () => {});
  socket.write(bytes);
  await once(socket, 'close');
  return answer;
}

function parsed(answer: string): { status: number; body: unknown } {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  return { status: Number(head.split(' ')[1]), body: body ? JSON.parse(body) : undefined };
}

describe('clients the HTTP parser refuses, or that go away', () => {
  let upstream: Upstream | undefined;
  let gateway: Gateway | undefined;
  const logs: string[] = [];

  afterEach(async () => {
    await gateway?.close();
    await upstream?.close();
    gateway = undefined;
    upstream = undefined;
    logs.length = 0;
  });

  it('answers parser errors in the envelope: bad chunk size, content-length with transfer-encoding, bad path bytes, long headers', async () => {
    upstream = await startUpstream((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    gateway = await startGateway({ name: 'nextgen', baseUrl: upstream.origin, client: createUndiciClient });
    const post = 'POST /api/zpe/jobs HTTP/1.1\r\nHost: gw\r\ncontent-type: application/json\r\n';
    const cases: [string, string, number][] = [
      ['bad chunk size', `${post}transfer-encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`, 400],
      [
        'content-length with transfer-encoding',
        `${post}content-length: 2\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
        400,
      ],
      ['NUL in the path', 'GET /api/zpe/jobs/a\u0000b HTTP/1.1\r\nHost: gw\r\n\r\n', 400],
      ['over-long headers', `GET /api/zpe/jobs/j-1 HTTP/1.1\r\nHost: gw\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
    ];
    for (const [label, bytes, status] of cases) {
      const answer = parsed(await raw(gateway.origin, bytes));
      expect(answer.status, label).toBe(status);
      expect(answer.body, label).toMatchObject({ error: { code: 'bad_request', message: expect.any(String) } });
    }
    expect(upstream.seen).toHaveLength(0);
  });

  it('answers 408 in the envelope when a request body stays incomplete past the request timeout', async () => {
    upstream = await startUpstream((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    gateway = await startGateway(
      { name: 'nextgen', baseUrl: upstream.origin, client: createUndiciClient },
      { server: { headersTimeoutMs: 500, requestTimeoutMs: 1_000 } },
    );
    const started = performance.now();
    const answer = parsed(
      await raw(
        gateway.origin,
        'POST /api/zpe/jobs HTTP/1.1\r\nHost: gw\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"con',
      ),
    );
    expect(answer.status).toBe(408);
    expect(answer.body).toMatchObject({ error: { code: 'bad_request' } });
    // Node checks request deadlines every few seconds at most; well below its default 5 minutes.
    expect(performance.now() - started).toBeLessThan(8_000);
    expect(upstream.seen).toHaveLength(0);
  });

  it('stops the upstream call when the client goes away while waiting for its answer', async () => {
    const upstreamClosed = signal();
    // Never answers: only the client's going away can end this call before its 30 s budget.
    upstream = await startUpstream((_req, res) => res.on('close', () => upstreamClosed.fire()));
    gateway = await startGateway(
      { name: 'nextgen', baseUrl: upstream.origin, client: createUndiciClient, timeouts: { defaultMs: 30_000 } },
      { logs },
    );
    const { port } = new URL(gateway.origin);
    const socket = connect(Number(port), '127.0.0.1');
    await once(socket, 'connect');
    socket.write(
      'GET /api/zpe/jobs/http-0123456789abcdef0123456789abcdef HTTP/1.1\r\nHost: gw\r\nx-dev-user-id: u-1\r\n\r\n',
    );
    await until(() => upstream?.seen.length === 1, 5_000);
    const left = performance.now();
    socket.destroy();

    await upstreamClosed.promise;
    expect(performance.now() - left).toBeLessThan(5_000);
    // The request's line: the upstream call ended by the client's leaving, logged as an abort.
    await until(() => logs.some((l) => l.includes('client aborted the request') && l.includes('"status":502')), 5_000);
  });

  it('logs a client that aborts in the middle of its body as an abort, not an unhandled error', async () => {
    upstream = await startUpstream((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    gateway = await startGateway({ name: 'nextgen', baseUrl: upstream.origin, client: createUndiciClient }, { logs });
    const { port } = new URL(gateway.origin);
    const socket = connect(Number(port), '127.0.0.1');
    await once(socket, 'connect');
    const arrived = once(gateway.server, 'request');
    socket.write(
      'POST /api/zpe/jobs HTTP/1.1\r\nHost: gw\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"content": "',
    );
    await arrived;
    socket.destroy();

    await until(() => logs.some((l) => l.includes('"path":"/api/zpe/jobs"')), 5_000);
    expect(logs.some((l) => l.includes('client aborted the request'))).toBe(true);
    expect(logs.some((l) => l.includes('unhandled error'))).toBe(false);
    expect(logs.some((l) => l.includes('"status":500'))).toBe(false);
    expect(upstream.seen).toHaveLength(0);
  });
});

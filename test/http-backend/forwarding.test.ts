import { createHash, randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { CLIENTS, type Gateway, rawRequest, startGateway, startUpstream, type Upstream } from './harness.js';

describe.each(CLIENTS)('forwarding through the $label client', ({ client }) => {
  let upstream: Upstream | undefined;
  let gateway: Gateway | undefined;

  afterEach(async () => {
    await gateway?.close();
    await upstream?.close();
    gateway = undefined;
    upstream = undefined;
  });

  it('sends method, path, query, the re-serialised body and the headers that matter', async () => {
    upstream = await startUpstream((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"j-1"}'),
    );
    gateway = await startGateway({
      name: 'legacy',
      baseUrl: upstream.origin,
      client,
      clientAddress: () => '192.0.2.7',
    });

    const res = await fetch(`${gateway.origin}/api/zpe/jobs?trace=1&trace=2`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer user-token',
        accept: 'application/json',
        'content-type': 'application/json',
        'x-request-id': 'req-forward-1',
        'x-dev-user-id': 'u-1',
        'x-dev-user-email': 'u1@example.com',
        'x-forwarded-for': '10.0.0.1',
        cookie: 'session=never-forwarded',
      },
      body: '{ "content": "&control\\n/", "mobile_indices": [0] }',
    });

    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: 'j-1' });
    expect(res.headers.get('x-zpe-backend')).toBe('legacy');
    expect(upstream.seen).toHaveLength(1);
    const seen = upstream.seen[0]!;
    expect(seen.method).toBe('POST');
    expect(seen.url).toBe('/api/zpe/jobs?trace=1&trace=2');
    // The validated value, defaults filled in, not the client's bytes.
    expect(JSON.parse(seen.body)).toEqual({
      content: '&control\n/',
      mobile_indices: [0],
      calc_type: 'qe.zpe.v1',
      calc_mode: 'continue',
      use_environ: false,
    });
    expect(seen.headers).toMatchObject({
      authorization: 'Bearer user-token',
      accept: 'application/json',
      'content-type': 'application/json',
      'x-request-id': 'req-forward-1',
      'x-dev-user-id': 'u-1',
      'x-dev-user-email': 'u1@example.com',
      'x-forwarded-for': '10.0.0.1, 192.0.2.7',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': new URL(gateway.origin).host,
    });
    expect(seen.headers.cookie).toBeUndefined();
  });

  it('forwards the text the client sent when validation kept it, with defaults appended, and re-serialises a coerced body', async () => {
    upstream = await startUpstream((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"j-1"}'),
    );
    gateway = await startGateway({ name: 'legacy', baseUrl: upstream.origin, client });
    const submit = async (body: string) => {
      const res = await fetch(`${gateway!.origin}/api/zpe/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-dev-user-id': 'u-1' },
        body,
      });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      return upstream!.seen.at(-1)!.body;
    };

    const complete =
      '{"calc_type": "qe.zpe.v1", "content": "&control\\n/", "mobile_indices": [0, 2], "use_environ": true, "calc_mode": "new"}\n';
    expect(await submit(complete)).toBe(complete);
    // Members in another order than the contract's, nothing to add: the same object.
    const reordered =
      '{"calc_mode": "new", "use_environ": true, "mobile_indices": [0], "content": "x", "calc_type": "qe.zpe.v1"}';
    expect(await submit(reordered)).toBe(reordered);
    expect(await submit('{ "content": "x", "mobile_indices": [1] }')).toBe(
      '{ "content": "x", "mobile_indices": [1] ,"calc_type":"qe.zpe.v1","use_environ":false,"calc_mode":"continue"}',
    );
    // Coerced by the lax validation ("3" is an int to pydantic): the validated value is sent.
    expect(JSON.parse(await submit('{"content": "x", "mobile_indices": ["3"]}'))).toEqual({
      calc_type: 'qe.zpe.v1',
      content: 'x',
      mobile_indices: [3],
      use_environ: false,
      calc_mode: 'continue',
    });
  });

  it('fills path parameters in, percent-encoded, and sends a gateway request id when the client had none', async () => {
    upstream = await startUpstream((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('summary'));
    gateway = await startGateway({ name: 'legacy', baseUrl: upstream.origin, client });

    const res = await fetch(`${gateway.origin}/api/zpe/jobs/job%201%3Fx%C3%A4/files?kind=summary`);

    expect(res.status).toBe(200);
    expect(await res.text()).toBe('summary');
    const seen = upstream.seen[0]!;
    expect(seen.method).toBe('GET');
    expect(seen.url).toBe('/api/zpe/jobs/job%201%3Fx%C3%A4/files?kind=summary');
    expect(seen.body).toBe('');
    expect(seen.headers['content-type']).toBeUndefined();
    expect(seen.headers['x-request-id']).toBe(res.headers.get('x-request-id'));
    // As the legacy makes them: uuid4().hex.
    expect(seen.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
  });

  it('rewrites the contract prefix to the next-gen base path, under the base URL’s own path', async () => {
    upstream = await startUpstream((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    gateway = await startGateway({ name: 'nextgen', baseUrl: `${upstream.origin}/edge/`, basePath: '/v2/zpe', client });

    await (await fetch(`${gateway.origin}/api/zpe/jobs/j-7`)).arrayBuffer();
    await (
      await fetch(`${gateway.origin}/api/zpe/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ content: 'x', mobile_indices: [] }),
      })
    ).arrayBuffer();

    expect(upstream.seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'GET /edge/v2/zpe/jobs/j-7',
      'POST /edge/v2/zpe/jobs',
    ]);
  });

  it('strips hop-by-hop headers both ways, including those named in Connection', async () => {
    upstream = await startUpstream((_req, res) => {
      res.setHeader('connection', 'keep-alive, x-upstream-hop');
      res.setHeader('x-upstream-hop', 'private to this connection');
      res.setHeader('keep-alive', 'timeout=17');
      res.setHeader('proxy-authenticate', 'Basic realm="upstream"');
      res.setHeader('trailer', 'x-checksum');
      res.setHeader('upgrade', 'h2c');
      res.setHeader('x-end-to-end', 'kept');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"queued"}');
    });
    gateway = await startGateway({ name: 'legacy', baseUrl: upstream.origin, client });

    const res = await rawRequest(`${gateway.origin}/api/zpe/jobs/j-1`, {
      headers: {
        connection: 'keep-alive, x-dev-user-email',
        'keep-alive': 'timeout=9',
        'x-dev-user-email': 'named-in-connection@example.com',
        'x-dev-user-id': 'u-2',
        te: 'trailers',
        'proxy-authorization': 'Basic c2VjcmV0',
        authorization: 'Bearer kept',
      },
    });

    expect(res.status).toBe(200);
    const sent = upstream.seen[0]!.headers;
    expect(sent.authorization).toBe('Bearer kept');
    expect(sent['x-dev-user-id']).toBe('u-2');
    expect(sent['x-dev-user-email']).toBeUndefined();
    expect(sent['keep-alive']).toBeUndefined();
    expect(sent.te).toBeUndefined();
    expect(sent['proxy-authorization']).toBeUndefined();
    expect(sent.connection ?? '').not.toContain('x-dev-user-email');

    expect(res.headers['x-end-to-end']).toBe('kept');
    expect(res.headers['x-upstream-hop']).toBeUndefined();
    expect(res.headers['proxy-authenticate']).toBeUndefined();
    expect(res.headers.trailer).toBeUndefined();
    expect(res.headers.upgrade).toBeUndefined();
    expect(res.headers['keep-alive'] ?? '').not.toContain('timeout=17');
    expect(res.headers.connection ?? '').not.toContain('x-upstream-hop');
  });

  it('streams a 5 MB answer back intact', async () => {
    const payload = randomBytes(5 * 1024 * 1024);
    upstream = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/csv', 'content-disposition': 'attachment; filename="freqs.csv"' });
      // Chunked, in pieces: the gateway must pass a stream on, not one buffer.
      for (let at = 0; at < payload.length; at += 64 * 1024) res.write(payload.subarray(at, at + 64 * 1024));
      res.end();
    });
    gateway = await startGateway({ name: 'legacy', baseUrl: upstream.origin, client });

    const res = await fetch(`${gateway.origin}/api/zpe/jobs/j-big/files?kind=freqs`);

    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="freqs.csv"');
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.length).toBe(payload.length);
    expect(createHash('sha256').update(body).digest('hex')).toBe(createHash('sha256').update(payload).digest('hex'));
  });

  it('answers the decoded body when the upstream compresses what it sends', async () => {
    const summary = 'ZPE summary\n'.repeat(2_000);
    upstream = await startUpstream((req, res) => {
      const gzip = /gzip/.test(String(req.headers['accept-encoding'] ?? ''));
      res.writeHead(200, { 'content-type': 'text/plain', ...(gzip ? { 'content-encoding': 'gzip' } : {}) });
      res.end(gzip ? gzipSync(summary) : summary);
    });
    gateway = await startGateway({ name: 'legacy', baseUrl: upstream.origin, client });

    const res = await rawRequest(`${gateway.origin}/api/zpe/jobs/j-1/files?kind=summary`);

    expect(res.status).toBe(200);
    const body = res.headers['content-encoding'] === 'gzip' ? gunzipSync(res.body) : res.body;
    expect(body.toString('utf8')).toBe(summary);
  });

  it('passes the upstream’s own errors and empty answers through unchanged', async () => {
    upstream = await startUpstream((req, res) => {
      if (req.method === 'POST') res.writeHead(204).end();
      else
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end('{"error":{"code":"not_found","message":"job not found"}}');
    });
    gateway = await startGateway({ name: 'legacy', baseUrl: upstream.origin, client });

    const missing = await fetch(`${gateway.origin}/api/zpe/jobs/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: 'not_found', message: 'job not found' } });

    const lease = await fetch(`${gateway.origin}/api/zpe/compute/jobs/lease`, {
      method: 'POST',
      headers: { authorization: 'Bearer worker-token', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(lease.status).toBe(204);
    expect(await lease.text()).toBe('');
  });
});

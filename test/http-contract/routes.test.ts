import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Harness, startHarness } from './harness.js';

/**
 * Requests no route answers: 405 with `Allow` on a known path (OPTIONS and TRACE too), 307 for a
 * trailing slash, 404 otherwise; and request ids as the legacy makes them.
 */

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

const JOB = 'http-0123456789abcdef0123456789abcdef';

describe('a known path with another method: 405 in the envelope, with Allow', () => {
  test.each([
    ['GET', '/api/zpe/jobs', 'POST'],
    ['PUT', '/api/zpe/jobs', 'POST'],
    ['DELETE', `/api/zpe/jobs/${JOB}`, 'GET, HEAD'],
    ['POST', `/api/zpe/jobs/${JOB}/files?kind=summary`, 'GET, HEAD'],
    ['GET', '/api/zpe/compute/jobs/lease', 'POST'],
    ['PUT', '/api/zpe/admin/ops', 'GET, HEAD, PATCH'],
    ['POST', '/api/zpe/compute/servers/srv-1', 'DELETE'],
    ['OPTIONS', '/api/zpe/jobs', 'POST'],
    ['OPTIONS', '/api/zpe/admin/ops', 'GET, HEAD, PATCH'],
    ['POST', '/healthz', 'GET, HEAD'],
    ['DELETE', '/api/openapi.json', 'GET, HEAD'],
  ])('%s %s', async (method, path, allow) => {
    const reply = await h.send({ method, path });
    expect(reply.status).toBe(405);
    expect(reply.headers.get('allow')).toBe(allow);
    expect(reply.json).toEqual({ error: { code: 'method_not_allowed', message: 'Method Not Allowed' } });
    expect(reply.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
  });

  test('TRACE (which fetch will not send): 405 with Allow', async () => {
    const url = new URL('/api/zpe/targets', h.gateway.origin);
    const { status, allow, body } = await new Promise<{ status?: number; allow?: string; body: string }>(
      (resolve, reject) => {
        const req = request(url, { method: 'TRACE' }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk) => {
            body += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode, allow: res.headers.allow, body }));
        });
        req.on('error', reject);
        req.end();
      },
    );
    expect(status).toBe(405);
    expect(allow).toBe('GET, HEAD');
    expect(JSON.parse(body)).toEqual({ error: { code: 'method_not_allowed', message: 'Method Not Allowed' } });
  });

  test('HEAD on a POST-only path: 405 with Allow, no body', async () => {
    const reply = await h.send({ method: 'HEAD', path: '/api/zpe/parse' });
    expect(reply.status).toBe(405);
    expect(reply.headers.get('allow')).toBe('POST');
    expect(reply.text).toBe('');
  });
});

describe('unknown routes', () => {
  test.each([
    ['GET', '/api/zpe/nope'],
    ['POST', '/api/zpe/jobs/a/b/c'],
    ['OPTIONS', '/nowhere'],
    ['GET', '/'],
  ])('%s %s: 404 in the envelope', async (method, path) => {
    const reply = await h.send({ method, path });
    expect(reply.status).toBe(404);
    expect((reply.json as { error: { code: string } }).error.code).toBe('not_found');
    expect(reply.headers.get('allow')).toBeNull();
  });
});

describe('a trailing slash: 307 to the path without it, as the legacy redirects', () => {
  test.each([
    ['POST', '/api/zpe/jobs/', '/api/zpe/jobs'],
    ['GET', '/api/zpe/targets/?limit=5', '/api/zpe/targets?limit=5'],
    ['GET', '/api/zpe/targets///', '/api/zpe/targets'],
    // The path the slash hangs off need not serve this method: the redirect target answers that.
    ['GET', '/api/zpe/jobs/', '/api/zpe/jobs'],
    ['GET', '/api/zpe/jobs/%F0%9F%92%A5/', '/api/zpe/jobs/%F0%9F%92%A5'],
  ])('%s %s', async (method, path, location) => {
    const reply = await fetch(`${h.gateway.origin}${path}`, { method, redirect: 'manual' });
    expect(reply.status).toBe(307);
    expect(reply.headers.get('location')).toBe(location);
  });

  test('a slash after a path the gateway does not serve: 404', async () => {
    const reply = await fetch(`${h.gateway.origin}/api/zpe/nope/`, { redirect: 'manual' });
    expect(reply.status).toBe(404);
  });

  test('no open redirect: a path of slashes is not redirected to another host', async () => {
    const reply = await fetch(`${h.gateway.origin}//evil.example/`, { redirect: 'manual' });
    expect(reply.status).toBe(404);
    expect(reply.headers.get('location')).toBeNull();
  });
});

describe('request ids', () => {
  test('none given: 32 lowercase hex digits, a fresh one each time', async () => {
    const a = await h.send({ method: 'GET', path: '/healthz' });
    const b = await h.send({ method: 'GET', path: '/healthz' });
    expect(a.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
    expect(b.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
    expect(a.headers.get('x-request-id')).not.toBe(b.headers.get('x-request-id'));
  });

  test.each([
    'abc',
    '0123456789abcdef0123456789abcdef',
    'req id/with spaces, {braces} & "quotes"',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    'x'.repeat(128),
  ])('given %j: echoed verbatim', async (id) => {
    const reply = await h.send({ method: 'GET', path: '/healthz', headers: { 'x-request-id': id } });
    expect(reply.headers.get('x-request-id')).toBe(id);
  });

  test.each([
    ['longer than 128 characters', 'x'.repeat(129)],
    ['not ASCII', 'caf\u00e9'],
  ])('given one %s: a fresh id instead', async (_, id) => {
    const bytes = new TextEncoder().encode(id);
    // fetch refuses non-ASCII header values; send them as raw latin-1 bytes the way a client could.
    const value = String.fromCharCode(...bytes);
    const reply = await h.send({ method: 'GET', path: '/healthz', headers: { 'x-request-id': value } });
    expect(reply.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
  });

  test('the id is in the error answer and in the request log line', async () => {
    const reply = await h.send({
      method: 'GET',
      path: '/api/zpe/targets?limit=0',
      headers: { 'x-request-id': 'trace-me-1' },
    });
    expect(reply.status).toBe(422);
    expect(reply.headers.get('x-request-id')).toBe('trace-me-1');
    expect(h.gateway.logs.some((line) => line.includes('"request_id":"trace-me-1"'))).toBe(true);
  });
});

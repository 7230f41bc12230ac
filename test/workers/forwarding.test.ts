import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstream, type Upstream } from '../http-backend/harness.js';
import { requestInit, SAMPLE_REQUESTS } from '../routing/requests.js';
import { type RunningWorker, startWorker } from './worker.js';

let upstream: Upstream;
let worker: RunningWorker;

beforeAll(async () => {
  upstream = await startUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: true }));
  });
  worker = await startWorker({ vars: { ZPE_NEXTGEN_URL: upstream.origin, AUTH_MODE: 'dev-bypass' } });
}, 180_000);

afterAll(async () => {
  await worker?.dispose();
  await upstream?.close();
});

describe('forwarding from workerd', () => {
  it('sends the caller’s address (cf-connecting-ip), identity headers and request id upstream', async () => {
    const sample = SAMPLE_REQUESTS.parseQeInput;
    const init = requestInit(sample);
    const response = await worker.fetch(sample.path, {
      ...init,
      user: 'alice',
      headers: { 'x-request-id': 'req-workers-1', 'x-forwarded-for': '203.0.113.9' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-zpe-backend')).toBe('nextgen');
    const seen = upstream.seen.at(-1);
    expect(seen?.url).toBe('/api/zpe/parse');
    expect(seen?.headers['x-request-id']).toBe('req-workers-1');
    expect(seen?.headers['x-dev-user-id']).toBe('alice');
    // The trail the client sent, then the address Cloudflare (here: Miniflare) saw connect.
    expect(seen?.headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
    expect(JSON.parse(seen?.body ?? '{}')).toEqual(sample.json);
  });
});

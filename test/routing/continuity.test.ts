import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QE_INPUT, QE_MOBILE_INDICES } from '../../contract-tests/samples.js';
import { type RunningGateway, startGateway } from '../support/gateway.js';
import { freePort, type PrivateRedis, startRedis } from '../support/redis-server.js';

/**
 * Read continuity only ever improves the answer: with default flags a job read the legacy answers 404
 * is tried at next-gen, and next-gen's answer is taken only when it found the job. A next-gen that is
 * down, hangs, resets or answers HTML never hides the legacy's own answer, and the try is bounded by
 * the operation's budget.
 */

const BUDGET_MS = 500;
/** Scheduling slack on a busy machine. */
const MARGIN_MS = 1500;

type Fault = (req: IncomingMessage, res: ServerResponse) => void;

const FAULTS: Record<string, Fault> = {
  hanging: () => {},
  'answering HTML 500': (_req, res) => {
    res
      .writeHead(500, { 'content-type': 'text/html' })
      .end('<html><pre>Traceback (most recent call last)</pre></html>');
  },
  'resetting the connection': (req) => req.socket.destroy(),
  'answering status 999': (_req, res) => {
    res.writeHead(999, { 'content-type': 'application/json' }).end('{}');
  },
  'answering 403 for a job it does not own': (_req, res) => {
    res
      .writeHead(403, { 'content-type': 'application/json' })
      .end(JSON.stringify({ error: { code: 'forbidden', message: 'forbidden' } }));
  },
};

async function startFaultyUpstream(fault: Fault): Promise<{ origin: string; close(): Promise<void> }> {
  const server: Server = createServer(fault);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      server.close();
    },
  };
}

let redis: PrivateRedis;
let legacyOnly: RunningGateway;
let queuedJob: string;

beforeAll(async () => {
  redis = await startRedis();
  legacyOnly = await startGateway({ ZPE_REDIS_URL: redis.url });
  const enroll = await legacyOnly.fetch('/api/zpe/compute/enroll-tokens', { method: 'POST', user: 'carol', json: {} });
  const { token } = (await enroll.json()) as { token: string };
  const registered = await legacyOnly.fetch('/api/zpe/compute/servers', { method: 'POST', json: { token } });
  expect(registered.status).toBe(200);
  const submitted = await legacyOnly.fetch('/api/zpe/jobs', {
    method: 'POST',
    user: 'carol',
    json: { content: QE_INPUT, mobile_indices: QE_MOBILE_INDICES },
  });
  expect(submitted.status).toBe(200);
  queuedJob = ((await submitted.json()) as { id: string }).id;
});
afterAll(async () => {
  await legacyOnly?.close();
  await redis?.stop();
});

/** The reads a client polls, for a queued legacy job and for one nobody knows. */
const reads = () => [
  `/api/zpe/jobs/${queuedJob}`,
  `/api/zpe/jobs/${queuedJob}/result`,
  `/api/zpe/jobs/${queuedJob}/files?kind=summary`,
  '/api/zpe/jobs/http-0123456789abcdef0123456789abcdef/result',
];

async function answerOf(gateway: RunningGateway, path: string) {
  const started = performance.now();
  const response = await gateway.fetch(path, { user: 'carol' });
  return { status: response.status, body: await response.text(), ms: performance.now() - started };
}

async function expectLegacyAnswers(gateway: RunningGateway) {
  for (const path of reads()) {
    const expected = await answerOf(legacyOnly, path);
    const got = await answerOf(gateway, path);
    expect({ path, status: got.status, body: got.body }).toEqual({
      path,
      status: expected.status,
      body: expected.body,
    });
    expect(got.ms, `${path} within the budget`).toBeLessThan(BUDGET_MS + MARGIN_MS);
  }
}

describe('next-gen failing never hides the legacy answer', () => {
  it('next-gen down (nothing listening)', async () => {
    const port = await freePort();
    const gateway = await startGateway({
      ZPE_REDIS_URL: redis.url,
      ZPE_NEXTGEN_URL: `http://127.0.0.1:${port}`,
      ZPE_UPSTREAM_TIMEOUT_MS: String(BUDGET_MS),
    });
    try {
      await expectLegacyAnswers(gateway);
    } finally {
      await gateway.close();
    }
  });

  for (const [name, fault] of Object.entries(FAULTS)) {
    it(`next-gen ${name}`, async () => {
      const upstream = await startFaultyUpstream(fault);
      const gateway = await startGateway({
        ZPE_REDIS_URL: redis.url,
        ZPE_NEXTGEN_URL: upstream.origin,
        ZPE_UPSTREAM_TIMEOUT_MS: String(BUDGET_MS),
      });
      try {
        await expectLegacyAnswers(gateway);
      } finally {
        await gateway.close();
        await upstream.close();
      }
    });
  }
});

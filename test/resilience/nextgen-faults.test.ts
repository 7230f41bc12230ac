import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QE_INPUT, QE_MOBILE_INDICES } from '../../contract-tests/samples.js';
import { type RunningGateway, startGateway } from '../support/gateway.js';
import { snapshot } from '../support/legacy-fixture.js';
import { type PrivateRedis, startRedis } from '../support/redis-server.js';

/**
 * Next-gen failing after (or instead of) its headers, with every flag pointing at it: the client gets
 * 502 or 504 in the envelope within the operation's budget, and no write reaches the built-in legacy
 * (Redis unchanged). The promise of issue 10 item 2, as src/backends/http keeps it.
 */

const BUDGET_MS = 800;
const MARGIN_MS = 1500;
const JOB = 'http-0123456789abcdef0123456789abcdef';

type Fault = (req: IncomingMessage, res: ServerResponse) => void;

const FAULTS: Record<string, Fault> = {
  'reset mid-body': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '200' });
    res.write('{"id": "http-');
    setTimeout(() => res.socket?.destroy(), 20);
  },
  'fewer bytes than its content-length': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '200' });
    res.end('{"id":"x"}');
    res.socket?.destroy();
  },
  'dripping one byte every 300 ms': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
    const timer = setInterval(() => {
      if (res.destroyed) clearInterval(timer);
      else res.write(' ');
    }, 300);
    res.on('close', () => clearInterval(timer));
  },
  hanging: () => {},
  'answering an HTML traceback': (_req, res) => {
    res.writeHead(500, { 'content-type': 'text/html' }).end('<html><pre>Traceback (most recent call last):</pre>');
  },
  'answering status 999': (_req, res) => {
    res.writeHead(999, { 'content-type': 'application/json' }).end('{"ok":true}');
  },
  'answering invalid JSON': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"id": ');
  },
};

const REQUESTS = [
  {
    name: 'submitJob',
    method: 'POST',
    path: '/api/zpe/jobs',
    json: { content: QE_INPUT, mobile_indices: QE_MOBILE_INDICES },
  },
  {
    name: 'reportJobResult',
    method: 'POST',
    path: `/api/zpe/compute/jobs/${JOB}/result`,
    json: { lease_id: 'l', result: {}, summary_text: '', freqs_csv: '' },
    bearer: 'worker-token',
  },
  { name: 'getJobStatus', method: 'GET', path: `/api/zpe/jobs/${JOB}` },
  { name: 'getJobResult', method: 'GET', path: `/api/zpe/jobs/${JOB}/result` },
];

async function startFaulty(fault: Fault): Promise<{ origin: string; hits: () => number; close(): Promise<void> }> {
  let hits = 0;
  const server: Server = createServer((req, res) => {
    if (req.url?.endsWith('/healthz')) {
      res.writeHead(200).end('ok');
      return;
    }
    hits++;
    fault(req, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits: () => hits,
    async close() {
      server.closeAllConnections();
      server.close();
    },
  };
}

let redis: PrivateRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis?.stop());

const figures: string[] = [];
afterAll(() => console.log(`next-gen faults:\n${figures.join('\n')}`));

describe('next-gen faults with every flag on next-gen', () => {
  for (const [name, fault] of Object.entries(FAULTS)) {
    it(`next-gen ${name}: 502/504 in the envelope within the budget, nothing written at the legacy`, async () => {
      const upstream = await startFaulty(fault);
      const gateway: RunningGateway = await startGateway({
        ZPE_REDIS_URL: redis.url,
        ZPE_NEXTGEN_URL: upstream.origin,
        ZPE_UPSTREAM_TIMEOUT_MS: String(BUDGET_MS),
        ZPE_CUTOVER_SUBMISSION_ROUTE: 'next-gen',
        ZPE_CUTOVER_RESULT_READ_SOURCE: 'projection',
        ZPE_LEGACY_WORKER_ENDPOINTS_ENABLED: 'false',
      });
      const raw = redis.client();
      try {
        const ignored = (key: string) => key.startsWith('zpe:gw:callers:');
        const before = [...(await snapshot(raw))].filter(([k]) => !ignored(k));
        const statuses: Record<number, number> = {};
        let slowest = 0;
        for (const request of REQUESTS) {
          const started = performance.now();
          const headers: Record<string, string> = { 'x-dev-user-id': 'alice' };
          if (request.bearer) headers.authorization = `Bearer ${request.bearer}`;
          if (request.json) headers['content-type'] = 'application/json';
          const response = await fetch(`${gateway.origin}${request.path}`, {
            method: request.method,
            headers,
            body: request.json ? JSON.stringify(request.json) : undefined,
            signal: AbortSignal.timeout(BUDGET_MS + MARGIN_MS + 2_000),
          });
          const text = await response.text();
          const ms = performance.now() - started;
          slowest = Math.max(slowest, ms);
          statuses[response.status] = (statuses[response.status] ?? 0) + 1;
          const label = `${request.name} (${name}): ${response.status} ${text.slice(0, 120)}`;
          expect([502, 504], label).toContain(response.status);
          const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
          expect(body.error?.code, label).toBe(response.status === 502 ? 'bad_gateway' : 'gateway_timeout');
          expect(typeof body.error?.message, label).toBe('string');
          expect(ms, `${label}: within the budget`).toBeLessThan(BUDGET_MS + MARGIN_MS);
        }
        const after = [...(await snapshot(raw))].filter(([k]) => !ignored(k));
        expect(after, 'no write reached the legacy').toEqual(before);
        figures.push(
          `  ${name}: ${REQUESTS.length} requests, statuses ${JSON.stringify(statuses)}, slowest ${Math.round(slowest)} ms, ` +
            `next-gen hit ${upstream.hits()} times, legacy keys changed: 0`,
        );
      } finally {
        raw.disconnect();
        await gateway.close();
        await upstream.close();
      }
    });
  }
});

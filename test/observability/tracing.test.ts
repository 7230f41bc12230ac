import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { jsonLogger } from '../../src/observability/log.js';
import { composeNodeGateway, type NodeGateway } from '../../src/runtime/node/compose.js';
import { TEST_ADMIN_TOKEN } from '../support/gateway.js';
import { type PrivateRedis, startRedis } from '../support/redis-server.js';
import { until } from '../support/until.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${CLIENT_SPAN}-01`;

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** An HTTP legacy control plane that only lists targets, and remembers the headers each call carried. */
async function startRecordingUpstream() {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(req.url?.startsWith('/healthz') ? '{"status":"ok"}' : '[]');
  });
  return { origin: await listen(server), seen, close: () => new Promise((r) => server.close(r)) };
}

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
}

/** A loopback OTLP/HTTP (JSON) trace receiver. */
async function startOtlpReceiver() {
  const spans: OtlpSpan[] = [];
  const paths: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += String(chunk);
    });
    req.on('end', () => {
      paths.push(req.url ?? '');
      const parsed = JSON.parse(body) as {
        resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[];
      };
      for (const resource of parsed.resourceSpans) for (const scope of resource.scopeSpans) spans.push(...scope.spans);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  return { origin: await listen(server), spans, paths, close: () => new Promise((r) => server.close(r)) };
}

async function startTracedGateway(redisUrl: string, legacyUrl: string, env: Record<string, string>) {
  const config = loadConfig({
    AUTH_MODE: 'dev-bypass',
    ZPE_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    ZPE_REDIS_URL: redisUrl,
    ZPE_LEGACY_URL: legacyUrl,
  });
  const logs: string[] = [];
  const gateway: NodeGateway = await composeNodeGateway(
    config,
    jsonLogger('info', (line) => logs.push(line)),
    { env },
  );
  const server = serve({ fetch: gateway.app.fetch, port: 0, hostname: '127.0.0.1' });
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    gateway,
    logs,
    requestLog: (path: string) =>
      logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request' && l.path === path),
    async close() {
      server.close();
      if ('closeAllConnections' in server) server.closeAllConnections();
      await gateway.close();
    },
  };
}

let redis: PrivateRedis;
let upstream: Awaited<ReturnType<typeof startRecordingUpstream>>;

beforeAll(async () => {
  redis = await startRedis();
  upstream = await startRecordingUpstream();
});

afterAll(async () => {
  await upstream?.close();
  await redis?.stop();
});

describe('W3C trace context with tracing off (the default)', () => {
  it('passes the client trace context to the upstream untouched and logs its trace id', async () => {
    const gateway = await startTracedGateway(redis.url, upstream.origin, {});
    try {
      expect(gateway.gateway.tracing).toBeUndefined();
      upstream.seen.length = 0;
      const answer = await fetch(`${gateway.origin}/api/zpe/targets`, {
        headers: { 'x-dev-user-id': 'alice', traceparent: TRACEPARENT, tracestate: 'vendor=opaque' },
      });
      expect(answer.status).toBe(200);
      expect(upstream.seen.at(-1)?.traceparent).toBe(TRACEPARENT);
      expect(upstream.seen.at(-1)?.tracestate).toBe('vendor=opaque');
      expect(gateway.requestLog('/api/zpe/targets').at(-1)?.trace_id).toBe(TRACE_ID);

      // Without one, nothing is invented; a malformed one is not logged as a trace id.
      await fetch(`${gateway.origin}/api/zpe/targets`, { headers: { 'x-dev-user-id': 'alice' } });
      expect(upstream.seen.at(-1)?.traceparent).toBeUndefined();
      await fetch(`${gateway.origin}/api/zpe/targets`, {
        headers: { 'x-dev-user-id': 'alice', traceparent: 'not-a-traceparent' },
      });
      const [, none, malformed] = gateway.requestLog('/api/zpe/targets');
      expect(none?.trace_id).toBeUndefined();
      expect(malformed?.trace_id).toBeUndefined();
    } finally {
      await gateway.close();
    }
  });
});

describe('an exporter the gateway cannot make', () => {
  it('is skipped with a warning, as the OpenTelemetry SDK does, and the gateway starts untraced', async () => {
    const gateway = await startTracedGateway(redis.url, upstream.origin, { OTEL_TRACES_EXPORTER: 'zipkin' });
    try {
      expect(gateway.gateway.tracing).toBeUndefined();
      expect(gateway.logs.some((l) => l.includes('unsupported OTEL_TRACES_EXPORTER') && l.includes('zipkin'))).toBe(
        true,
      );
      expect((await fetch(`${gateway.origin}/healthz`)).status).toBe(200);
    } finally {
      await gateway.close();
    }
  });
});

describe('tracing on (OTEL_TRACES_EXPORTER=otlp)', () => {
  it('exports the gateway span, the upstream call and the Redis commands under the client trace id', async () => {
    const receiver = await startOtlpReceiver();
    const gateway = await startTracedGateway(redis.url, upstream.origin, {
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.origin,
      OTEL_SERVICE_NAME: 'zpe-gateway-test',
    });
    try {
      expect(gateway.gateway.tracing).toBeDefined();
      upstream.seen.length = 0;
      const answer = await fetch(`${gateway.origin}/api/zpe/targets`, {
        headers: { 'x-dev-user-id': 'alice', traceparent: TRACEPARENT, tracestate: 'vendor=opaque' },
      });
      expect(answer.status).toBe(200);
      const sent = String(upstream.seen.at(-1)?.traceparent);
      // Same trace, the gateway's client span as the parent.
      expect(sent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
      expect(sent).not.toContain(CLIENT_SPAN);
      expect(upstream.seen.at(-1)?.tracestate).toBe('vendor=opaque');
      expect(gateway.requestLog('/api/zpe/targets').at(-1)?.trace_id).toBe(TRACE_ID);

      const ops = await fetch(`${gateway.origin}/api/zpe/admin/ops`, {
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, traceparent: TRACEPARENT },
      });
      expect(ops.status).toBe(200);

      await gateway.gateway.tracing?.flush();
      await until(() => receiver.spans.filter((s) => s.traceId === TRACE_ID).length >= 4, 5000);
      expect(receiver.paths.every((p) => p === '/v1/traces')).toBe(true);
      const traced = receiver.spans.filter((s) => s.traceId === TRACE_ID);
      const server = traced.find((s) => s.name === 'GET /api/zpe/targets');
      expect(server).toMatchObject({ kind: 2, parentSpanId: CLIENT_SPAN });
      const call = traced.find((s) => s.name === 'GET legacy');
      expect(call).toMatchObject({ kind: 3, parentSpanId: server?.spanId });
      expect(sent.split('-')[2]).toBe(call?.spanId);

      const opsSpan = traced.find((s) => s.name === 'GET /api/zpe/admin/ops');
      const redisSpans = traced.filter((s) => s.name.startsWith('redis ') && s.parentSpanId === opsSpan?.spanId);
      expect(redisSpans.length).toBeGreaterThan(0);
    } finally {
      await gateway.close();
      await receiver.close();
    }
  });
});

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QE_INPUT, QE_MOBILE_INDICES } from '../../contract-tests/samples.js';
import { OPERATION_IDS } from '../../src/contract/operations.js';
import { deriveLifecycle } from '../../src/lifecycle/derive.js';
import { giveTarget, type NextgenStandin, startNextgenStandin } from '../fixtures/nextgen-standin.js';
import { deprecatedManifest } from '../retirement/harness.js';
import { type RunningGateway, startGateway } from '../support/gateway.js';
import { type PrivateRedis, startRedis } from '../support/redis-server.js';
import { until } from '../support/until.js';
import { parsePrometheus, type Sample, select, value } from './prometheus-text.js';

let redis: PrivateRedis;
let legacy: NextgenStandin;
let nextgen: NextgenStandin;
let gateway: RunningGateway;

async function scrape(): Promise<Sample[]> {
  const response = await gateway.fetch('/metrics', { admin: true });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return parsePrometheus(await response.text());
}

beforeAll(async () => {
  redis = await startRedis();
  legacy = await startNextgenStandin();
  nextgen = await startNextgenStandin();
  gateway = await startGateway(
    {
      ZPE_REDIS_URL: redis.url,
      ZPE_LEGACY_URL: legacy.origin,
      ZPE_NEXTGEN_URL: nextgen.origin,
      ZPE_UPSTREAM_TIMEOUTS_MS: 'getJobResult=300',
    },
    { manifest: deprecatedManifest() },
  );
  await Promise.all([giveTarget(legacy, 'alice'), giveTarget(nextgen, 'alice')]);
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all([legacy?.close(), nextgen?.close()]);
  await redis?.stop();
});

describe('/metrics', () => {
  it('is for the admin token only', async () => {
    expect((await gateway.fetch('/metrics')).status).toBe(401);
    const wrong = await gateway.fetch('/metrics', { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });

  it('counts a scripted sequence of requests exactly, by operation, backend, route reason and status, as the log lines say', async () => {
    const parse = (json: unknown) => gateway.fetch('/api/zpe/parse', { method: 'POST', json });
    const statuses: number[] = [];
    const note = async (response: Promise<Response>) => {
      const answer = await response;
      await answer.arrayBuffer();
      statuses.push(answer.status);
      return answer;
    };

    for (let i = 0; i < 3; i++) await note(gateway.fetch('/api/zpe/targets', { user: 'alice' }));
    for (let i = 0; i < 2; i++) await note(parse({ content: QE_INPUT }));
    await note(parse({}));
    await note(gateway.fetch('/api/zpe/nope', { user: 'alice' }));
    await note(
      gateway.fetch('/api/zpe/admin/ops', {
        method: 'PATCH',
        admin: true,
        json: { submission_route: 'next-gen', reason: 'stage 1' },
      }),
    );
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const submitted = await gateway.fetch('/api/zpe/jobs', {
        method: 'POST',
        user: 'alice',
        json: { content: QE_INPUT, mobile_indices: QE_MOBILE_INDICES },
      });
      statuses.push(submitted.status);
      ids.push(((await submitted.json()) as { id: string }).id);
    }
    // Reads stay on legacy, which does not know next-gen's job: read continuity answers from next-gen.
    await note(gateway.fetch(`/api/zpe/jobs/${ids[0]}`, { user: 'alice' }));
    nextgen.setFault({ kind: 'reset' }, ['parseQeInput']);
    await note(parse({ content: QE_INPUT }));
    nextgen.setFault(undefined);
    legacy.setFault({ kind: 'delay', ms: 1500 }, ['getJobResult']);
    await note(gateway.fetch(`/api/zpe/jobs/${ids[0]}/result`, { user: 'alice' }));
    legacy.setFault(undefined);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 422, 404, 200, 200, 200, 200, 502, 504]);

    const samples = await scrape();
    const requests = select(samples, 'zpe_gateway_requests_total').map((s) => ({
      ...(s.labels as { operation: string; backend: string; route_reason: string; status: string }),
      count: s.value,
    }));
    const row = (operation: string, backend: string, route_reason: string, status: string, count: number) => ({
      operation,
      backend,
      route_reason,
      status,
      count,
    });
    const order = (rows: Record<string, unknown>[]) =>
      [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    expect(order(requests)).toEqual(
      order([
        row('listQueueTargets', 'legacy', 'default', '200', 3),
        row('parseQeInput', 'nextgen', 'stateless', '200', 2),
        row('parseQeInput', 'gateway', 'gateway', '422', 1),
        row('unknown', 'gateway', 'no_route', '404', 1),
        row('updateOpsFlags', 'gateway', 'gateway', '200', 1),
        row('submitJob', 'nextgen', 'flag', '200', 2),
        row('getJobStatus', 'nextgen', 'continuity', '200', 1),
        row('parseQeInput', 'nextgen', 'stateless', '502', 1),
        row('getJobResult', 'legacy', 'flag', '504', 1),
      ]),
    );

    // The request log says the same, line for line.
    const logged = gateway.logs
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.msg === 'request' && String(line.path).startsWith('/api/'));
    const fromLog = new Map<string, number>();
    for (const line of logged) {
      const key = `${line.operation ?? 'unknown'} ${line.backend} ${line.status}`;
      fromLog.set(key, (fromLog.get(key) ?? 0) + 1);
    }
    const fromMetrics = new Map<string, number>();
    for (const r of requests) {
      const key = `${r.operation} ${r.backend} ${r.status}`;
      fromMetrics.set(key, (fromMetrics.get(key) ?? 0) + r.count);
    }
    expect(Object.fromEntries(fromLog)).toEqual(Object.fromEntries(fromMetrics));

    // Latency: every request is in the whole-request and the gateway-own histograms; only those that called a backend in the upstream one.
    const count = (name: string, operation: string, backend: string) =>
      value(samples, `${name}_count`, { operation, backend });
    expect(count('zpe_gateway_request_duration_seconds', 'listQueueTargets', 'legacy')).toBe(3);
    expect(count('zpe_gateway_upstream_duration_seconds', 'listQueueTargets', 'legacy')).toBe(3);
    expect(count('zpe_gateway_overhead_seconds', 'listQueueTargets', 'legacy')).toBe(3);
    expect(count('zpe_gateway_request_duration_seconds', 'unknown', 'gateway')).toBe(1);
    expect(count('zpe_gateway_upstream_duration_seconds', 'unknown', 'gateway')).toBeUndefined();
    // Continuity asked both backends: the upstream time is the two calls together.
    expect(count('zpe_gateway_upstream_duration_seconds', 'getJobStatus', 'nextgen')).toBe(1);
    const timedOut = value(samples, 'zpe_gateway_upstream_duration_seconds_sum', {
      operation: 'getJobResult',
      backend: 'legacy',
    });
    expect(timedOut).toBeGreaterThanOrEqual(0.3);
    expect(timedOut).toBeLessThan(1.5);
    const logLine = logged.find((line) => line.operation === 'getJobResult');
    expect(Number(logLine?.upstream_ms)).toBeGreaterThanOrEqual(300);

    expect(select(samples, 'zpe_gateway_upstream_errors_total').map((s) => ({ ...s.labels, n: s.value }))).toEqual(
      expect.arrayContaining([
        { backend: 'nextgen', kind: 'reset', n: 1 },
        { backend: 'legacy', kind: 'timeout', n: 1 },
      ]),
    );
    expect(select(samples, 'zpe_gateway_upstream_errors_total').length).toBe(2);

    // State: the flag just set, with its countdown; lifecycle per operation; callers of deprecated operations.
    expect(value(samples, 'zpe_gateway_flag', { flag: 'submission_route', value: 'next-gen' })).toBe(1);
    expect(value(samples, 'zpe_gateway_flag', { flag: 'submission_route', value: 'redis-worker' })).toBe(0);
    expect(value(samples, 'zpe_gateway_flag', { flag: 'result_read_source', value: 'redis' })).toBe(1);
    const expiry = value(samples, 'zpe_gateway_flag_expiry_seconds', { flag: 'submission_route' }) ?? 0;
    expect(expiry).toBeGreaterThan(3500);
    expect(expiry).toBeLessThanOrEqual(3600);
    expect(value(samples, 'zpe_gateway_flag_expiry_seconds', { flag: 'result_read_source' })).toBeUndefined();

    const lifecycle = deriveLifecycle(deprecatedManifest());
    for (const id of OPERATION_IDS) {
      const states = select(samples, 'zpe_gateway_lifecycle_state', { operation: id });
      expect(states.filter((s) => s.value === 1).map((s) => s.labels.state)).toEqual([lifecycle.get(id)?.state]);
    }
    expect(lifecycle.get('listQueueTargets')?.state).toBe('deprecated');
    expect(value(samples, 'zpe_gateway_deprecated_calls', { operation: 'listQueueTargets', kind: 'user' })).toBe(3);
    expect(value(samples, 'zpe_gateway_deprecated_callers', { operation: 'listQueueTargets', kind: 'user' })).toBe(1);
    expect(value(samples, 'zpe_gateway_deprecated_calls', { operation: 'updateOpsFlags', kind: 'admin' })).toBe(1);

    const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
    expect(select(samples, 'zpe_gateway_build_info')[0]?.labels.version).toBe(version);
    expect(select(samples, 'process_cpu_seconds_total').length).toBe(1);

    // Scrapes themselves are not requests of the API.
    const again = await scrape();
    expect(select(again, 'zpe_gateway_requests_total').reduce((n, s) => n + s.value, 0)).toBe(13);
  });

  it('counts Redis command errors by kind, from a Redis that stopped answering', async () => {
    const before = select(await scrape(), 'zpe_gateway_redis_command_errors_total', { kind: 'timeout' }).reduce(
      (n, s) => n + s.value,
      0,
    );
    redis.pause();
    try {
      const refused = await gateway.fetch('/api/zpe/admin/ops', { admin: true });
      expect(refused.status).toBe(503);
    } finally {
      redis.resume();
    }
    await until(async () => {
      const after = select(await scrape(), 'zpe_gateway_redis_command_errors_total', { kind: 'timeout' });
      return after.reduce((n, s) => n + s.value, 0) > before;
    }, 5000);
  });
});

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { QE_INPUT, QE_MOBILE_INDICES } from '../../contract-tests/samples.js';
import { type EvidenceStore, memoryEvidenceStore } from '../../src/observability/evidence.js';
import { redisEvidenceStore } from '../../src/observability/evidence-redis.js';
import { giveTarget, type NextgenStandin, startNextgenStandin } from '../fixtures/nextgen-standin.js';
import { type RunningGateway, startGateway } from '../support/gateway.js';
import { type PrivateRedis, startRedis } from '../support/redis-server.js';
import { until } from '../support/until.js';
import { parsePrometheus, value } from './prometheus-text.js';

type Json = Record<string, unknown>;

let redis: PrivateRedis;
let legacy: NextgenStandin;
let nextgen: NextgenStandin;
let env: Record<string, string>;

beforeAll(async () => {
  redis = await startRedis();
  legacy = await startNextgenStandin();
  nextgen = await startNextgenStandin();
  env = {
    ZPE_REDIS_URL: redis.url,
    ZPE_LEGACY_URL: legacy.origin,
    ZPE_NEXTGEN_URL: nextgen.origin,
    ZPE_PARITY_MIN_SAMPLES: '3',
    ZPE_PARITY_MIN_RATIO: '1',
  };
});

afterAll(async () => {
  await Promise.all([legacy?.close(), nextgen?.close()]);
  await redis?.stop();
});

describe.each([
  ['memory', () => memoryEvidenceStore(clock)],
  ['redis', () => redisEvidenceStore(redis.client(), clock)],
] as [string, () => EvidenceStore][])('the %s evidence store', (_name, make) => {
  beforeEach(async () => {
    await redis.client().flushall();
    now = Date.parse('2026-12-01T10:00:00Z');
  });

  it('sums outcomes and violations per operation over the last 24 hours, and keeps the latest mismatches, bounded', async () => {
    const store = make();
    await store.addShadow('getJobStatus', 'matched');
    await store.addViolation('parseQeInput');
    now += 23 * 3600_000;
    await store.addShadow('getJobStatus', 'matched');
    for (let i = 0; i < 12; i++) {
      await store.addShadow('getJobStatus', 'mismatched', {
        at: new Date(now).toISOString(),
        request_id: `r${i}`,
        served_by: 'legacy',
        diff: Array.from({ length: 30 }, (_, j) => ({ path: `/body/f${j}`, served: 'x'.repeat(500), shadow: j })),
      });
    }
    await store.addShadow('getJobResult', 'missing_on_nextgen');
    let evidence = await store.read();
    expect(evidence.shadow.getJobStatus).toEqual({
      matched: 2,
      mismatched: 12,
      missing_on_legacy: 0,
      missing_on_nextgen: 0,
      failed: 0,
    });
    expect(evidence.shadow.getJobResult?.missing_on_nextgen).toBe(1);
    expect(evidence.violations).toEqual({ parseQeInput: 1 });
    const kept = evidence.mismatches.getJobStatus ?? [];
    expect(kept.map((m) => m.request_id)).toEqual(['r11', 'r10', 'r9', 'r8', 'r7', 'r6', 'r5', 'r4', 'r3', 'r2']);
    expect(kept[0]?.diff.length).toBe(20);
    expect(String(kept[0]?.diff[0]?.served).length).toBeLessThan(250);

    // A day later the first hour has left the window.
    now += 3600_000;
    evidence = await store.read();
    expect(evidence.shadow.getJobStatus?.matched).toBe(1);
    expect(evidence.violations).toEqual({});
  });
});

let now = 0;
const clock = () => now;

async function patch(gateway: RunningGateway, change: Json) {
  const response = await gateway.fetch('/api/zpe/admin/ops', { method: 'PATCH', admin: true, json: change });
  return { status: response.status, body: (await response.json()) as Json };
}

async function parityAt(gateway: RunningGateway): Promise<Json> {
  const ops = (await (await gateway.fetch('/api/zpe/admin/ops', { admin: true })).json()) as {
    shadow: { parity: Record<string, Json> };
  };
  return ops.shadow.parity.getJobStatus ?? {};
}

describe('fleet-wide parity evidence', () => {
  let a: RunningGateway;
  let b: RunningGateway;

  beforeAll(async () => {
    await redis.client().flushall();
    [a, b] = await Promise.all([startGateway(env), startGateway(env)]);
    await Promise.all([giveTarget(legacy, 'dave'), giveTarget(nextgen, 'dave')]);
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it("gathered through instance A is what instance B's guardrail judges, and what the next deploy sees", async () => {
    const submit = async () => {
      const response = await a.fetch('/api/zpe/jobs', {
        method: 'POST',
        user: 'dave',
        json: { content: QE_INPUT, mobile_indices: QE_MOBILE_INDICES },
      });
      return ((await response.json()) as { id: string }).id;
    };
    const shared = await submit();
    nextgen.preloadJob({ ...legacy.job(shared), owner: 'dave' });
    const onlyOnLegacy = await submit();
    expect((await patch(a, { shadow_sample_rate: 1, reason: 'evidence' })).status).toBe(200);
    const read = async (id: string) => {
      const response = await a.fetch(`/api/zpe/jobs/${id}`, { user: 'dave' });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-zpe-backend')).toBe('legacy');
      await response.arrayBuffer();
    };

    await read(shared);
    await read(shared);
    await until(async () => (await parityAt(b)).compared === 2, 3000);
    expect((await patch(b, { submission_route: 'next-gen', reason: 'stage 1' })).status).toBe(200);
    const early = await patch(b, { result_read_source: 'projection', reason: 'too few samples' });
    expect(early.status).toBe(409);
    expect((early.body.error as Json).message).toContain('shadow-read parity 2/2 does not meet the bar');

    // A job that exists on one side only is reported apart: it is not a mismatch, and not a comparison.
    await read(onlyOnLegacy);
    await read(shared);
    await until(async () => (await parityAt(b)).compared === 3 && (await parityAt(b)).missing_on_nextgen === 1, 3000);
    expect(await parityAt(b)).toMatchObject({ compared: 3, matched: 3, mismatched: 0, missing_on_nextgen: 1 });

    // B made no shadow read of its own: its metrics count none, while the fleet gauges show A's.
    const metricsOf = async (g: RunningGateway) =>
      parsePrometheus(await (await g.fetch('/metrics', { admin: true })).text());
    const [atA, atB] = await Promise.all([metricsOf(a), metricsOf(b)]);
    expect(value(atA, 'zpe_gateway_shadow_reads_total', { operation: 'getJobStatus', outcome: 'matched' })).toBe(3);
    expect(value(atB, 'zpe_gateway_shadow_reads_total', { operation: 'getJobStatus', outcome: 'matched' })).toBe(
      undefined,
    );
    for (const samples of [atA, atB]) {
      expect(value(samples, 'zpe_gateway_fleet_shadow_reads', { operation: 'getJobStatus', outcome: 'matched' })).toBe(
        3,
      );
      expect(
        value(samples, 'zpe_gateway_fleet_shadow_reads', { operation: 'getJobStatus', outcome: 'missing_on_nextgen' }),
      ).toBe(1);
      expect(value(samples, 'zpe_gateway_fleet_shadow_parity_ratio', { operation: 'getJobStatus' })).toBe(1);
    }

    // A new deploy of B starts with the fleet's evidence, not with nothing.
    await b.close();
    b = await startGateway(env);
    expect(await parityAt(b)).toMatchObject({ compared: 3, matched: 3, missing_on_nextgen: 1 });
    const moved = await patch(b, { result_read_source: 'projection', reason: 'parity 3/3 across the fleet' });
    expect(moved.status).toBe(200);
    expect(moved.body.result_read_source).toBe('projection');
  });
});

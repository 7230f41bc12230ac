import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATION_IDS, type OperationId } from '../../src/contract/operations.js';
import { FLAG_KEYS, FLAG_NAMES } from '../../src/flags/keys.js';
import { type NextgenStandin, startNextgenStandin } from '../fixtures/nextgen-standin.js';
import { requestInit, SAMPLE_REQUESTS } from '../routing/requests.js';
import { type RunningGateway, startGateway } from '../support/gateway.js';
import { type PrivateRedis, startRedis } from '../support/redis-server.js';
import { type RunningWorker, startWorker } from './worker.js';

/**
 * The routing matrix on Workers, differentially: for every operation under every combination of
 * the five flags (and under route overrides), the Workers build in workerd routes exactly as the
 * Node gateway does (which test/routing/matrix.test.ts holds to DESIGN.md's table), with the same
 * flags written to KV and to Redis in the legacy formats, and the same two HTTP upstreams.
 */

type Target = Pick<RunningGateway, 'fetch'>;

interface Pair {
  label: string;
  node: RunningGateway;
  worker: RunningWorker;
}

let redis: PrivateRedis;
let raw: Redis;
let legacy: NextgenStandin;
let nextgen: NextgenStandin;
let pairs: Pair[];

beforeAll(async () => {
  redis = await startRedis();
  raw = redis.client();
  legacy = await startNextgenStandin();
  nextgen = await startNextgenStandin({ basePath: '/v2/zpe' });
  const both = { ZPE_LEGACY_URL: legacy.origin, ZPE_NEXTGEN_URL: nextgen.origin, ZPE_NEXTGEN_BASE_PATH: '/v2/zpe' };
  const legacyOnly = { ZPE_LEGACY_URL: legacy.origin };
  pairs = [
    {
      label: 'with next-gen',
      node: await startGateway({ ...both, ZPE_REDIS_URL: redis.url }),
      worker: await startWorker({ vars: both }),
    },
    {
      label: 'without next-gen',
      node: await startGateway({ ...legacyOnly, ZPE_REDIS_URL: redis.url }),
      worker: await startWorker({ vars: legacyOnly }),
    },
  ];
}, 180_000);

afterAll(async () => {
  for (const pair of pairs ?? []) await Promise.all([pair.node.close(), pair.worker.dispose()]);
  await Promise.all([legacy?.close(), nextgen?.close()]);
  await redis?.stop();
});

/** What a client and an operator can see of how one request was routed. */
async function routing(target: Target, op: OperationId) {
  const before = { legacy: legacy.served(op), nextgen: nextgen.served(op) };
  const sample = SAMPLE_REQUESTS[op];
  const response = await target.fetch(sample.path, requestInit(sample));
  const body = await response.text();
  const answeredByGateway = response.headers.get('x-zpe-backend') === 'gateway' && op !== 'getOpsFlags';
  return {
    status: response.status,
    backend: response.headers.get('x-zpe-backend'),
    reason: response.headers.get('x-zpe-route-reason'),
    version: response.headers.get('x-zpe-flags-version'),
    served: { legacy: legacy.served(op) - before.legacy, nextgen: nextgen.served(op) - before.nextgen },
    // Refusals come from the gateway itself and must read the same; upstream answers carry fresh ids.
    body: answeredByGateway && op !== 'updateOpsFlags' ? body : undefined,
  };
}

/** Writes the five flags in the legacy formats to Redis (shared by the Node gateways) and KV, and has both runtimes read them now. */
async function setFlags(values: Record<string, string>) {
  await raw.mset(values);
  for (const pair of pairs) {
    await Promise.all(Object.entries(values).map(([key, value]) => pair.worker.kv.put(key, value)));
    await pair.node.gateway.flags.fresh();
    // An operator's read re-reads KV in this isolate, as fresh() does on Node.
    expect((await pair.worker.fetch('/api/zpe/admin/ops', { admin: true })).status).toBe(200);
  }
}

function combinations(): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (let bits = 0; bits < 32; bits++) {
    out.push({
      [FLAG_KEYS.value('submission_enabled')]: bits & 1 ? '0' : '1',
      [FLAG_KEYS.value('dequeue_enabled')]: bits & 2 ? '0' : '1',
      [FLAG_KEYS.value('submission_route')]: bits & 4 ? 'next-gen' : 'redis-worker',
      [FLAG_KEYS.value('result_read_source')]: bits & 8 ? 'projection' : 'redis',
      [FLAG_KEYS.value('legacy_worker_endpoints_enabled')]: bits & 16 ? '0' : '1',
    });
  }
  return out;
}

describe('routing matrix on Workers', () => {
  it('routes every operation under every flag combination exactly as the Node gateway does', async () => {
    expect(FLAG_NAMES).toHaveLength(5);
    let compared = 0;
    for (const flags of combinations()) {
      await setFlags(flags);
      for (const pair of pairs) {
        for (const op of OPERATION_IDS) {
          const label = `${op} ${pair.label} ${JSON.stringify(flags)}`;
          const onNode = await routing(pair.node, op);
          const onWorkers = await routing(pair.worker, op);
          expect(onWorkers, label).toEqual(onNode);
          compared++;
        }
      }
    }
    expect(compared).toBe(32 * 2 * OPERATION_IDS.length);
  }, 300_000);

  it('follows route overrides set through PATCH /api/zpe/admin/ops as the Node gateway does', async () => {
    await setFlags(combinations()[0] as Record<string, string>);
    const pair = pairs[0] as Pair;
    const change = {
      reason: 'pin for a test',
      ttl_seconds: 60,
      route_overrides: {
        listQueueTargets: { backend: 'nextgen' },
        selectQueueTarget: { backend: 'nextgen' },
        submitJob: { backend: 'nextgen' },
        getJobStatus: { backend: 'nextgen' },
      },
    };
    for (const target of [pair.node, pair.worker]) {
      const patched = await target.fetch('/api/zpe/admin/ops', { method: 'PATCH', admin: true, json: change });
      expect(patched.status).toBe(200);
    }
    expect(JSON.parse((await pair.worker.kv.get(FLAG_KEYS.override('listQueueTargets'))) ?? '{}')).toMatchObject({
      backend: 'nextgen',
      reason: 'pin for a test',
    });
    for (const op of OPERATION_IDS) {
      const onNode = await routing(pair.node, op);
      const onWorkers = await routing(pair.worker, op);
      expect(onWorkers, op).toEqual(onNode);
    }
    expect((await routing(pair.worker, 'listQueueTargets')).reason).toBe('override:nextgen');
  });
});

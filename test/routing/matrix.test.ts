import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATION_IDS, type OperationId } from '../../src/contract/operations.js';
import { type NextgenStandin, startNextgenStandin } from '../fixtures/nextgen-standin.js';
import { type RunningGateway, startGateway } from '../support/gateway.js';
import { type PrivateRedis, startRedis } from '../support/redis-server.js';
import { requestInit, SAMPLE_REQUESTS } from './requests.js';

interface Flags {
  submission_enabled: boolean;
  dequeue_enabled: boolean;
  submission_route: 'redis-worker' | 'next-gen';
  result_read_source: 'redis' | 'projection';
  legacy_worker_endpoints_enabled: boolean;
}

type Expected =
  | { backend: 'legacy' | 'nextgen' }
  | { everywhere: ('legacy' | 'nextgen')[] }
  | { status: 503; message: string }
  | { status: 204 }
  | { gateway: true };

const WRITES = new Set<OperationId>(OPERATION_IDS.filter((id) => SAMPLE_REQUESTS[id].method !== 'GET'));

/** DESIGN.md's operations table, written out again independently of src/routing/table.ts. */
function oracle(op: OperationId, f: Flags, nextgen: boolean, pin?: 'legacy' | 'nextgen'): Expected {
  if (op === 'getOpsFlags' || op === 'updateOpsFlags') return { gateway: true };
  if (pin) return { backend: pin };
  const toNextgen = (message: string): Expected => (nextgen ? { backend: 'nextgen' } : { status: 503, message });
  switch (op) {
    case 'parseQeInput':
      return nextgen ? { backend: 'nextgen' } : { backend: 'legacy' };
    case 'submitJob':
      // The legacy's order: the route's availability first, then submission_enabled.
      if (f.submission_route === 'next-gen' && !nextgen)
        return { status: 503, message: 'submission route not available' };
      if (!f.submission_enabled) return { status: 503, message: 'zpe submissions disabled' };
      return f.submission_route === 'redis-worker' ? { backend: 'legacy' } : { backend: 'nextgen' };
    case 'getJobStatus':
    case 'getJobResult':
    case 'downloadJobFile':
      return f.result_read_source === 'redis' ? { backend: 'legacy' } : toNextgen('result read source not available');
    case 'revokeComputeServer':
      return { everywhere: nextgen ? ['legacy', 'nextgen'] : ['legacy'] };
    case 'listQueueTargets':
    case 'selectQueueTarget':
      return { backend: 'legacy' };
    case 'leaseJob':
      if (!f.legacy_worker_endpoints_enabled) return toNextgen('legacy worker endpoints disabled by cutover flag');
      return f.dequeue_enabled ? { backend: 'legacy' } : { status: 204 };
    default:
      return f.legacy_worker_endpoints_enabled
        ? { backend: 'legacy' }
        : toNextgen('legacy worker endpoints disabled by cutover flag');
  }
}

function allFlagCombinations(): Flags[] {
  const out: Flags[] = [];
  for (let bits = 0; bits < 32; bits++) {
    out.push({
      submission_enabled: (bits & 1) === 0,
      dequeue_enabled: (bits & 2) === 0,
      submission_route: bits & 4 ? 'next-gen' : 'redis-worker',
      result_read_source: bits & 8 ? 'projection' : 'redis',
      legacy_worker_endpoints_enabled: (bits & 16) === 0,
    });
  }
  return out;
}

async function setFlags(raw: Redis, gateway: RunningGateway, flags: Flags) {
  await raw.mset({
    'zpe:ops:submission_enabled': flags.submission_enabled ? '1' : '0',
    'zpe:ops:dequeue_enabled': flags.dequeue_enabled ? '1' : '0',
    'zpe:ops:submission_route': flags.submission_route,
    'zpe:ops:result_read_source': flags.result_read_source,
    'zpe:ops:legacy_worker_endpoints_enabled': flags.legacy_worker_endpoints_enabled ? '1' : '0',
  });
  await gateway.gateway.flags.fresh();
}

let redis: PrivateRedis;
let raw: Redis;
let legacy: NextgenStandin;
let nextgen: NextgenStandin;
let both: RunningGateway;
let legacyOnly: RunningGateway;

beforeAll(async () => {
  redis = await startRedis();
  raw = redis.client();
  legacy = await startNextgenStandin();
  nextgen = await startNextgenStandin({ basePath: '/v2/zpe' });
  both = await startGateway({
    ZPE_REDIS_URL: redis.url,
    ZPE_LEGACY_URL: legacy.origin,
    ZPE_NEXTGEN_URL: nextgen.origin,
    ZPE_NEXTGEN_BASE_PATH: '/v2/zpe',
  });
  legacyOnly = await startGateway({ ZPE_REDIS_URL: redis.url, ZPE_LEGACY_URL: legacy.origin });
});

afterAll(async () => {
  await Promise.all([both?.close(), legacyOnly?.close()]);
  await Promise.all([legacy?.close(), nextgen?.close()]);
  await redis?.stop();
});

async function check(gateway: RunningGateway, op: OperationId, expected: Expected, label: string) {
  legacy.resetCounts();
  nextgen.resetCounts();
  const response = await gateway.fetch(SAMPLE_REQUESTS[op].path, requestInit(SAMPLE_REQUESTS[op]));
  const body = await response.text();
  const served = { legacy: legacy.served(op), nextgen: nextgen.served(op) };
  if ('everywhere' in expected) {
    expect(response.headers.get('x-zpe-backend'), label).toBe(expected.everywhere.join('+'));
    for (const backend of ['legacy', 'nextgen'] as const) {
      expect(served[backend], label).toBe(expected.everywhere.includes(backend) ? 1 : 0);
    }
  } else if ('gateway' in expected) {
    expect(response.headers.get('x-zpe-backend'), label).toBe('gateway');
    expect(served, label).toEqual({ legacy: 0, nextgen: 0 });
  } else if ('backend' in expected) {
    expect(response.headers.get('x-zpe-backend'), label).toBe(expected.backend);
    const other = expected.backend === 'legacy' ? 'nextgen' : 'legacy';
    expect(served[expected.backend], label).toBe(1);
    // Writes reach exactly one backend; a read may look at the other one only for continuity.
    if (WRITES.has(op)) expect(served[other], label).toBe(0);
  } else {
    expect(response.status, label).toBe(expected.status);
    expect(served, label).toEqual({ legacy: 0, nextgen: 0 });
    if (expected.status === 503)
      expect(JSON.parse(body).error).toEqual({ code: 'service_unavailable', message: expected.message });
  }
  expect(response.headers.get('x-zpe-flags-version'), label).toMatch(/^[0-9a-f]{8}$/);
  expect(response.headers.get('x-zpe-route-reason'), label).toBeTruthy();
}

describe('routing matrix', () => {
  it('sends every operation, under every combination of the five flags, to the backend DESIGN.md names', async () => {
    for (const flags of allFlagCombinations()) {
      await setFlags(raw, both, flags);
      await legacyOnly.gateway.flags.fresh();
      for (const op of OPERATION_IDS) {
        const label = `${op} ${JSON.stringify(flags)}`;
        await check(both, op, oracle(op, flags, true), `${label} with next-gen`);
        await check(legacyOnly, op, oracle(op, flags, false), `${label} without next-gen`);
      }
    }
  });

  it('lets a route override pin an operation to a backend, whatever the flags say', async () => {
    const flags: Flags = {
      submission_enabled: true,
      dequeue_enabled: true,
      submission_route: 'redis-worker',
      result_read_source: 'redis',
      legacy_worker_endpoints_enabled: true,
    };
    await setFlags(raw, both, flags);
    const pins: Partial<Record<OperationId, 'legacy' | 'nextgen'>> = {
      listQueueTargets: 'nextgen',
      selectQueueTarget: 'nextgen',
      submitJob: 'nextgen',
      getJobStatus: 'nextgen',
    };
    const patch = await both.fetch('/api/zpe/admin/ops', {
      method: 'PATCH',
      admin: true,
      json: {
        reason: 'pin for a test',
        ttl_seconds: 60,
        route_overrides: Object.fromEntries(Object.entries(pins).map(([op, backend]) => [op, { backend }])),
      },
    });
    expect(patch.status).toBe(200);
    const state = (await patch.json()) as { route_overrides: Record<string, { backend: string; reason: string }> };
    expect(state.route_overrides.listQueueTargets).toMatchObject({ backend: 'nextgen', reason: 'pin for a test' });
    for (const op of OPERATION_IDS) {
      await check(both, op, oracle(op, flags, true, pins[op]), `${op} pinned to ${pins[op] ?? 'nothing'}`);
    }
    const reason = (await both.fetch(SAMPLE_REQUESTS.listQueueTargets.path, { user: 'alice' })).headers.get(
      'x-zpe-route-reason',
    );
    expect(reason).toBe('override:nextgen');
    // Cleared pins route by the flags again.
    await both.fetch('/api/zpe/admin/ops', {
      method: 'PATCH',
      admin: true,
      json: { reason: 'unpin', route_overrides: Object.fromEntries(Object.keys(pins).map((op) => [op, null])) },
    });
    await check(both, 'listQueueTargets', { backend: 'legacy' }, 'unpinned');
  });
});

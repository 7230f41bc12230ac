import { afterAll, describe, expect, it } from 'vitest';
import { loadContract } from '../../contract-tests/contract.js';
import { runConformance } from '../../contract-tests/suite.js';
import { OPERATION_IDS } from '../../src/contract/operations.js';
import { FLAG_KEYS } from '../../src/flags/keys.js';
import { declareChecks } from '../conformance/declare.js';
import { type NextgenStandin, STANDIN_ADMIN_TOKEN, startNextgenStandin } from '../fixtures/nextgen-standin.js';
import { SAMPLE_REQUESTS } from '../routing/requests.js';
import { startWorker } from './worker.js';

// The Workers build in workerd between two HTTP upstreams: a legacy control plane (a stand-in) and
// next-gen (another, under /v2/zpe). The suite runs while the file is collected, so each check
// becomes a test of its own below. Admin calls that reach an upstream (enrolling as admin, revoke)
// carry the same token there, as a deployment sharing one operator token would.
const { document } = loadContract();
const legacy = await startNextgenStandin();
const nextgen = await startNextgenStandin({ basePath: '/v2/zpe' });
const worker = await startWorker({
  vars: {
    ZPE_LEGACY_URL: legacy.origin,
    ZPE_NEXTGEN_URL: nextgen.origin,
    ZPE_NEXTGEN_BASE_PATH: '/v2/zpe',
    ZPE_ADMIN_TOKEN: STANDIN_ADMIN_TOKEN,
  },
});
afterAll(async () => {
  await worker.dispose();
  await Promise.all([legacy.close(), nextgen.close()]);
});

const onLegacy = await runConformance({ baseUrl: worker.origin, document, adminToken: STANDIN_ADMIN_TOKEN });
const servedByLegacy = legacy.served();
/**
 * Writes the stand-in served: read continuity's second tries may reach the other backend, a write
 * never. The emergency revoke is the one write that reaches every configured backend by design.
 */
const WRITES = OPERATION_IDS.filter(
  (op) => op !== 'parseQeInput' && op !== 'revokeComputeServer' && SAMPLE_REQUESTS[op].method !== 'GET',
);
const writesServed = (standin: NextgenStandin) => WRITES.reduce((sum, op) => sum + standin.served(op), 0);
const writesAtNextgen = writesServed(nextgen);

// The plan's stages 1 and 2 done: the flags written straight into KV, and the operations no flag
// covers (targets, emergency revoke) pinned to next-gen by an operator's route overrides.
await worker.kv.put(FLAG_KEYS.value('submission_route'), 'next-gen');
await worker.kv.put(FLAG_KEYS.value('result_read_source'), 'projection');
await worker.kv.put(FLAG_KEYS.value('legacy_worker_endpoints_enabled'), '0');
const pinned = await worker.fetch('/api/zpe/admin/ops', {
  method: 'PATCH',
  headers: { authorization: `Bearer ${STANDIN_ADMIN_TOKEN}` },
  json: {
    reason: 'stage 2',
    route_overrides: Object.fromEntries(
      ['listQueueTargets', 'selectQueueTarget', 'revokeComputeServer'].map((op) => [op, { backend: 'nextgen' }]),
    ),
  },
});
legacy.resetCounts();
const onNextgen = await runConformance({ baseUrl: worker.origin, document, adminToken: STANDIN_ADMIN_TOKEN });

describe('conformance of the Workers build with every flag on legacy (an HTTP control plane)', () => {
  declareChecks(onLegacy);

  it('walked the whole contract through workerd, served by the legacy upstream', () => {
    expect(onLegacy.checks.length).toBeGreaterThanOrEqual(30);
    expect(onLegacy.responses).toBeGreaterThanOrEqual(50);
    expect(servedByLegacy).toBeGreaterThan(30);
    expect(writesAtNextgen).toBe(0);
  });
});

describe('conformance of the Workers build with the flags moved to next-gen in KV', () => {
  declareChecks(onNextgen);

  it('walked the whole contract through workerd, served by next-gen', () => {
    expect(pinned.status).toBe(200);
    expect(onNextgen.checks.length).toBeGreaterThanOrEqual(30);
    expect(writesServed(legacy)).toBe(0);
    expect(nextgen.served('submitJob')).toBeGreaterThan(0);
    expect(nextgen.served('leaseJob')).toBeGreaterThan(0);
  });
});

import { afterAll, describe, expect, it } from 'vitest';
import { runConformance } from '../../contract-tests/suite.js';
import { buildDocument } from '../../src/contract/document.js';
import { startNextgenStandin } from '../fixtures/nextgen-standin.js';
import { declareChecks } from './declare.js';

// The suite runs while the file is collected, so each check becomes a test of its own below.
const document = buildDocument();

const standin = await startNextgenStandin();
const nested = await startNextgenStandin({ basePath: '/v2/zpe', parse: false });
afterAll(async () => {
  await standin.close();
  await nested.close();
});

const direct = await runConformance({ baseUrl: standin.origin, document, adminToken: standin.adminToken });
const underBasePath = await runConformance({
  baseUrl: nested.origin,
  basePath: '/v2/zpe',
  document,
  adminToken: nested.adminToken,
});

describe('conformance of the next-gen stand-in under /api/zpe', () => {
  declareChecks(direct);

  it('walked the whole contract, validating every answer', () => {
    expect(direct.checks.length).toBeGreaterThanOrEqual(30);
    expect(direct.responses).toBeGreaterThanOrEqual(50);
    for (const operation of ['submitJob', 'leaseJob', 'reportJobResult', 'reportJobFailure', 'parseQeInput'] as const) {
      expect(standin.served(operation), operation).toBeGreaterThan(0);
    }
  });
});

describe('conformance of the next-gen stand-in under /v2/zpe without parse', () => {
  declareChecks(underBasePath, (name) => (name.startsWith('parse:') ? 'skip' : 'pass'));

  it('skips parse with the reason the target gave', () => {
    const parse = underBasePath.checks.find((c) => c.name.startsWith('parse:'));
    expect(parse).toMatchObject({ outcome: 'skip', reason: 'skipped: 503 not configured' });
  });

  it('sent nothing outside the base path', () => {
    const outside = nested.requests.filter((r) => !r.split(' ')[1]?.startsWith('/v2/zpe/'));
    expect(outside).toEqual([]);
  });
});

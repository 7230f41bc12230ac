import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/cli/workspace.js';
import { canonicalize } from '../../src/contract/document.js';
import { OPERATION_IDS } from '../../src/contract/operations.js';
import { committedManifest } from '../../src/lifecycle/committed.js';
import { deriveLifecycle } from '../../src/lifecycle/derive.js';
import { type PrivateRedis, startRedis } from '../support/redis-server.js';
import { operation, type RetirementGateway, startRetirementGateway } from './harness.js';

/**
 * The CI check that routes/retirement.json, the router and the committed contract agree, operation by
 * operation: removed ones absent from openapi/openapi.json and answered 410; deprecated ones marked with
 * their sunset and answered with the deprecation headers; active ones published and served plainly.
 */
describe('manifest, router and committed contract agree', () => {
  const lifecycle = deriveLifecycle(committedManifest());
  const committed = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'openapi/openapi.json'), 'utf8'));
  let redis: PrivateRedis;
  let gateway: RetirementGateway;

  beforeAll(async () => {
    redis = await startRedis();
    gateway = await startRetirementGateway(redis);
  });
  afterAll(async () => {
    await gateway?.close();
    await redis?.stop();
  });

  it.each(OPERATION_IDS)('%s', async (id) => {
    const entry = lifecycle.get(id);
    const op = operation(id);
    const published = committed.paths[op.path]?.[op.method];
    const answer = await gateway.callOperation(op);

    if (entry?.state === 'removed') {
      expect(published, 'a removed operation is not in openapi/openapi.json').toBeUndefined();
      expect(answer.status).toBe(410);
      expect(answer.json.error?.code).toBe('gone');
      expect(answer.json.error?.details?.successor).toBe(entry.successor);
      expect(answer.headers.get('link')).toBe(`<${entry.successor}>; rel="successor-version"`);
      return;
    }
    expect(published, 'every operation not removed is published').toBeDefined();
    expect(answer.status).not.toBe(410);
    expect(answer.json.error?.message ?? '').not.toMatch(/^no route/);
    if (entry?.state === 'deprecated') {
      expect(published.deprecated).toBe(true);
      expect(published['x-sunset']).toBe(entry.sunset);
      expect(answer.headers.get('deprecation')).toBe(`@${Date.parse(`${entry.deprecation}T00:00:00Z`) / 1000}`);
      expect(answer.headers.get('sunset')).toBe(new Date(`${entry.sunset}T00:00:00Z`).toUTCString());
      expect(answer.headers.get('link')).toContain(`<${entry.successor}>; rel="successor-version"`);
    } else {
      expect(published.deprecated).toBeUndefined();
      expect(published['x-sunset']).toBeUndefined();
      expect(answer.headers.get('deprecation')).toBeNull();
      expect(answer.headers.get('sunset')).toBeNull();
    }
  });

  it('the gateway serves the committed contract at /api/openapi.json', async () => {
    const served = await gateway.call('GET', '/api/openapi.json');
    expect(canonicalize(served.json)).toEqual(canonicalize(committed));
  });

  it('the committed manifest deprecates some operations and leaves others active', () => {
    const states = new Set([...lifecycle.values()].map((l) => l.state));
    expect(states).toEqual(new Set(['active', 'deprecated']));
    expect(lifecycle.get('parseQeInput')?.state).toBe('active');
    expect(lifecycle.get('revokeComputeServer')?.state).toBe('active');
  });
});

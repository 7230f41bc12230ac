import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/cli/workspace.js';
import { canonicalize } from '../../src/contract/document.js';
import { OPERATION_IDS } from '../../src/contract/operations.js';
import { committedManifest } from '../../src/lifecycle/committed.js';
import { deriveLifecycle, type Lifecycle } from '../../src/lifecycle/derive.js';
import type { RetirementManifest } from '../../src/lifecycle/manifest.js';
import { type PrivateRedis, startRedis } from '../support/redis-server.js';
import {
  DEPRECATION,
  deprecatedManifest,
  deprecatedRepo,
  operation,
  type RetirementGateway,
  startRetirementGateway,
} from './harness.js';

/**
 * The CI check that routes/retirement.json, the router and the committed contract agree (and the
 * same for a copy in which an operator deprecated an item), operation by
 * operation: removed ones absent from openapi/openapi.json and answered 410; deprecated ones marked with
 * their sunset and answered with the deprecation headers; active ones published and served plainly.
 */
const committedSetup = async () => ({
  manifest: committedManifest(),
  contract: JSON.parse(readFileSync(join(PACKAGE_ROOT, 'openapi/openapi.json'), 'utf8')),
  cleanup: () => {},
});

/** What an operator's `retire deprecate` leaves in a copy of the repository: its manifest and regenerated contract. */
const deprecatedSetup = async () => {
  const repo = await deprecatedRepo();
  return { manifest: repo.manifest(), contract: JSON.parse(repo.read('openapi/openapi.json')), cleanup: repo.cleanup };
};

describe.each([
  ['the committed manifest', committedSetup],
  ['a copy after retire deprecate', deprecatedSetup],
])('manifest, router and contract agree: %s', (name, setup) => {
  let manifest: RetirementManifest;
  let lifecycle: Lifecycle;
  let contract: { paths: Record<string, Record<string, Record<string, unknown> | undefined> | undefined> };
  let cleanup = () => {};
  let redis: PrivateRedis;
  let gateway: RetirementGateway;

  beforeAll(async () => {
    ({ manifest, contract, cleanup } = await setup());
    lifecycle = deriveLifecycle(manifest);
    redis = await startRedis();
    gateway = await startRetirementGateway(redis, { manifest });
  });
  afterAll(async () => {
    await gateway?.close();
    await redis?.stop();
    cleanup();
  });

  it.each(OPERATION_IDS)('%s', async (id) => {
    const entry = lifecycle.get(id);
    const op = operation(id);
    const published = contract.paths[op.path]?.[op.method];
    const answer = await gateway.callOperation(op);

    if (entry?.state === 'removed') {
      expect(published, 'a removed operation is not in openapi/openapi.json').toBeUndefined();
      expect(answer.status).toBe(410);
      expect(answer.json.error?.code).toBe('gone');
      expect(answer.json.error?.details?.successor).toBe(entry.successor);
      expect(answer.headers.get('link')).toBe(`<${entry.successor}>; rel="successor-version"`);
      return;
    }
    if (!published) throw new Error('every operation not removed is published');
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
      expect(answer.headers.get('link')).toBeNull();
    }
  });

  it('the gateway serves that contract at /api/openapi.json', async () => {
    const served = await gateway.call('GET', '/api/openapi.json');
    expect(canonicalize(served.json)).toEqual(canonicalize(contract));
  });

  if (name === 'the committed manifest') {
    it('tells clients the truth: every item open, nothing deprecated, no successor announced before its page exists', () => {
      expect(manifest.items.every((i) => i.state === 'open' && !i.deprecation && !i.sunset)).toBe(true);
      expect([...lifecycle.values()].every((l) => l.state === 'active')).toBe(true);
      expect(manifest.items.flatMap((i) => i.operations).filter((o) => o.successor !== undefined)).toEqual([]);
      expect(JSON.stringify(contract)).not.toMatch(/docs\.zpe\.example|"deprecated": ?true|x-sunset/);
    });
  } else {
    it('deprecates the item it names and leaves the others active', () => {
      const states = new Set([...lifecycle.values()].map((l) => l.state));
      expect(states).toEqual(new Set(['active', 'deprecated']));
      expect(lifecycle.get('submitJob')).toMatchObject({
        state: 'deprecated',
        deprecation: DEPRECATION.date,
        sunset: DEPRECATION.sunset,
        successor: DEPRECATION.successor('submitJob'),
      });
      expect(lifecycle.get('parseQeInput')?.state).toBe('active');
      expect(lifecycle.get('revokeComputeServer')?.state).toBe('active');
      expect(manifest).toEqual(deprecatedManifest());
    });
  }
});

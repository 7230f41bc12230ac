import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAdminAuthenticator } from '../../src/auth/index.js';
import { PACKAGE_ROOT } from '../../src/cli/workspace.js';
import { loadConfig } from '../../src/config/env.js';
import { redisFlagStorage } from '../../src/flags/redis-storage.js';
import { assembleGateway } from '../../src/gateway.js';
import { createGateway } from '../../src/http/app.js';
import { MANIFEST_PATH, ManifestError, parseManifest, type RetirementManifest } from '../../src/lifecycle/manifest.js';
import { silentLogger } from '../../src/observability/log.js';
import { createRedis } from '../../src/redis/client.js';
import { copyRepo, deadRedisUrl, deprecatedManifest, retire } from './harness.js';

const committedText = readFileSync(join(PACKAGE_ROOT, MANIFEST_PATH), 'utf8');
/** The committed manifest once an operator deprecated an item: dates and successors to break. */
const deprecatedText = JSON.stringify(deprecatedManifest());

/** The deprecated manifest, changed by `edit`, as raw JSON: what someone might commit by mistake. */
function broken(edit: (m: RetirementManifest & Record<string, unknown>) => void): unknown {
  const raw = JSON.parse(deprecatedText);
  edit(raw);
  return raw;
}

function problems(value: unknown): string[] {
  try {
    parseManifest(value);
  } catch (error) {
    if (error instanceof ManifestError) return error.message.split('\n');
    throw error;
  }
  return [];
}

const item = (m: RetirementManifest, id: string) => {
  const found = m.items.find((i) => i.id === id);
  if (!found) throw new Error(id);
  return found;
};

describe('routes/retirement.json', () => {
  it('is valid, covers every item of the plan in order, and classifies every operation', () => {
    const manifest = parseManifest(JSON.parse(committedText));
    expect(manifest.items.map((i) => i.id)).toEqual([
      'router-cutover',
      'legacy-endpoints-removed',
      'redis-modules-deleted',
      'exports-updated',
      'settings-retired',
      'contract-regenerated',
      'docs-updated',
      'redis-audit-passes',
      'validation-passes',
      'emergency-revoke-removed',
    ]);
    expect(manifest.items.every((i) => i.state === 'open')).toBe(true);
    expect(manifest.outside_retirement.map((o) => o.operation)).toEqual(['parseQeInput']);
    const exception = manifest.items.at(-1);
    expect(exception?.exception).toBe(true);
    expect(exception?.operations.map((o) => o.operation)).toEqual(['revokeComputeServer']);
  });

  it('names the item whose sunset comes before its deprecation', () => {
    const value = broken((m) => {
      item(m, 'legacy-endpoints-removed').deprecation = '2026-02-01';
      item(m, 'legacy-endpoints-removed').sunset = '2026-01-01';
    });
    expect(problems(value)).toEqual([
      "routes/retirement.json: item 'legacy-endpoints-removed': sunset 2026-01-01 is before deprecation 2026-02-01",
    ]);
  });

  it('names each operation of a deprecated or closed item that has no successor to tell callers', () => {
    const value = broken((m) => {
      const ops = item(m, 'legacy-endpoints-removed').operations;
      if (ops[1]) delete ops[1].successor;
      const closed = item(m, 'router-cutover');
      Object.assign(closed, { state: 'closed', closed_at: '2027-01-01', reason: 'r' });
      closed.operations = [{ operation: 'revokeComputeServer' }];
      item(m, 'emergency-revoke-removed').operations = [];
    });
    expect(problems(value)).toEqual([
      "routes/retirement.json: item 'router-cutover': operation 'revokeComputeServer' has no successor, but callers are told one from deprecation on (retire deprecate router-cutover --successor URL)",
      "routes/retirement.json: item 'legacy-endpoints-removed': operation 'getJobStatus' has no successor, but callers are told one from deprecation on (retire deprecate legacy-endpoints-removed --successor URL)",
    ]);
  });

  it('names unknown operations, operations retired twice, and operations nobody placed', () => {
    const value = broken((m) => {
      item(m, 'router-cutover').operations = [
        { operation: 'submitJobs', successor: 'https://next.example/jobs' },
        { operation: 'leaseJob', successor: 'https://next.example/lease' },
      ];
      m.outside_retirement = [];
    });
    expect(problems(value)).toEqual([
      "routes/retirement.json: item 'router-cutover': unknown operation 'submitJobs' (not in src/contract/operations.ts)",
      "routes/retirement.json: operation 'leaseJob' is retired by two items: 'router-cutover' and 'legacy-endpoints-removed'",
      "routes/retirement.json: operation 'parseQeInput' is in no item and not in outside_retirement: decide where it goes",
    ]);
  });

  it('names a prerequisite cycle and a prerequisite that is not an item', () => {
    const value = broken((m) => {
      item(m, 'router-cutover').prerequisites = ['exports-updated', 'no-such-item'];
    });
    expect(problems(value)).toEqual([
      "routes/retirement.json: item 'router-cutover': prerequisite 'no-such-item' is not an item",
      'routes/retirement.json: prerequisite cycle: router-cutover -> exports-updated -> redis-modules-deleted -> legacy-endpoints-removed -> router-cutover',
    ]);
  });

  it('names bad fields by item: dates, URLs, state, closing without a reason, the exception not last', () => {
    const value = broken((m) => {
      item(m, 'legacy-endpoints-removed').sunset = '2027-02-30';
      const ops = item(m, 'redis-modules-deleted').operations;
      if (ops[0]) ops[0].successor = 'not a url';
    });
    expect(problems(value)).toEqual([
      "routes/retirement.json: item 'legacy-endpoints-removed': sunset: expected a date as YYYY-MM-DD",
      "routes/retirement.json: item 'redis-modules-deleted': operations.0.successor: expected an http(s) URL",
    ]);
    const closing = broken((m) => {
      const first = item(m, 'router-cutover');
      first.state = 'closed';
      item(m, 'emergency-revoke-removed').prerequisites = ['router-cutover'];
    });
    expect(problems(closing)).toEqual([
      "routes/retirement.json: item 'router-cutover': closed without closed_at",
      "routes/retirement.json: item 'router-cutover': closed without a reason",
      "routes/retirement.json: item 'emergency-revoke-removed': the exception closes last, so it needs every other item as a prerequisite; missing 'legacy-endpoints-removed', 'redis-modules-deleted', 'exports-updated', 'settings-retired', 'contract-regenerated', 'docs-updated', 'redis-audit-passes', 'validation-passes'",
    ]);
  });

  it('stops the gateway at start, naming the entry: createGateway and assembleGateway (before it connects)', async () => {
    const manifest = parseManifest(JSON.parse(committedText));
    const bad = { ...manifest, items: manifest.items.map((i) => ({ ...i })) };
    const first = bad.items[1];
    if (!first) throw new Error('no item');
    first.operations = [{ operation: 'nope', successor: 'https://x.example' }];
    // A manifest built in code is checked too, not only the committed file.
    expect(() =>
      createGateway({
        dispatch: async () => new Response(null),
        logger: silentLogger,
        maxBodyBytes: 1024,
        lifecycle: { manifest: bad },
      }),
    ).toThrow("routes/retirement.json: item 'legacy-endpoints-removed': unknown operation 'nope'");

    const config = loadConfig({ AUTH_MODE: 'dev-bypass', ZPE_REDIS_URL: await deadRedisUrl() });
    const redis = createRedis(config.redisUrl, 200);
    redis.on('error', () => {});
    try {
      await expect(
        assembleGateway({
          config,
          logger: silentLogger,
          admin: createAdminAuthenticator(undefined),
          backends: {},
          flagStorage: redisFlagStorage(redis),
          lifecycle: { manifest: bad },
        }),
      ).rejects.toThrow(ManifestError);
    } finally {
      redis.disconnect();
    }
  });

  describe('the retire commands on a broken manifest', () => {
    const repo = copyRepo();
    afterAll(() => repo.cleanup());

    it('refuse with exit 2 and name the entry', async () => {
      const raw = JSON.parse(deprecatedText);
      raw.items[1].deprecation = '2027-04-01';
      writeFileSync(repo.manifestPath, JSON.stringify(raw));
      const run = await retire(['status', '--root', repo.root], { ZPE_REDIS_URL: await deadRedisUrl() });
      expect(run.code).toBe(2);
      expect(run.err).toContain(
        "routes/retirement.json: item 'legacy-endpoints-removed': sunset 2027-03-01 is before deprecation 2027-04-01",
      );
    });
  });

  it('routes/retirement.schema.json is what the zod schema generates', async () => {
    const run = await retire(['schema', '--check']);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
  });
});

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateRedis, startRedis } from '../support/redis-server.js';
import { contractDiff, deprecatedRepo, type Repo, retire } from './harness.js';

const AFTER_SUNSET = '2027-06-01';
const BEFORE_SUNSET = '2026-12-01';

/** On a copy in which an operator deprecated 'legacy-endpoints-removed' (sunset 2027-03-01). */
describe('retire close refuses what the plan does not allow yet', () => {
  let repo: Repo;
  let redis: PrivateRedis;
  let env: Record<string, string>;
  const snapshot = () => ({
    manifest: repo.read('routes/retirement.json'),
    contract: repo.read('openapi/openapi.json'),
    types: repo.read('openapi/schema.ts'),
  });

  beforeAll(async () => {
    repo = await deprecatedRepo();
    redis = await startRedis();
    env = { ZPE_REDIS_URL: redis.url };
  });
  afterAll(async () => {
    await redis?.stop();
    repo?.cleanup();
  });

  it('out of order: names the missing prerequisite and changes nothing', async () => {
    const before = snapshot();
    const run = await retire(
      ['close', 'legacy-endpoints-removed', '--reason', 'too early', '--root', repo.root, '--today', AFTER_SUNSET],
      env,
    );
    expect(run.code).toBe(1);
    expect(run.err).toContain("refused: item 'legacy-endpoints-removed' cannot close yet:");
    expect(run.err).toContain("  - prerequisite 'router-cutover' is open");
    expect(snapshot()).toEqual(before);
  });

  it('an item whose modules still reference Redis: names the file and lines', async () => {
    const run = await retire(
      ['close', 'router-cutover', '--reason', 'cutover flags at final values', '--root', repo.root],
      env,
    );
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/ {2}- still references Redis: src\/routing\/table\.ts:\d+/);
  });

  it('an item whose sunset has not come: names the date', async () => {
    const run = await retire(
      ['close', 'legacy-endpoints-removed', '--reason', 'r', '--root', repo.root, '--today', BEFORE_SUNSET],
      env,
    );
    expect(run.code).toBe(1);
    expect(run.err).toContain(`  - sunset 2027-03-01 not reached (today ${BEFORE_SUNSET})`);
  });

  it('usage errors: no reason, an unknown item', async () => {
    const noReason = await retire(['close', 'router-cutover', '--force', '--root', repo.root], env);
    expect(noReason.code).toBe(2);
    expect(noReason.err).toContain('close needs --reason TEXT');
    const unknown = await retire(['close', 'no-such-item', '--reason', 'r', '--root', repo.root], env);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("no item 'no-such-item'; items: router-cutover, legacy-endpoints-removed,");
  });

  it('--force closes anyway, records it, and CI still sees what was skipped', async () => {
    const base = join(repo.root, 'base.json');
    writeFileSync(base, repo.read('openapi/openapi.json'));
    const reason = 'incident 4711: the legacy queue is gone, next-gen serves everything';
    const run = await retire(
      [
        'close',
        'legacy-endpoints-removed',
        '--force',
        '--reason',
        reason,
        '--root',
        repo.root,
        '--today',
        BEFORE_SUNSET,
      ],
      env,
    );
    expect(run.code, run.err).toBe(0);
    expect(run.out).toContain(`closed 'legacy-endpoints-removed' on ${BEFORE_SUNSET} (FORCED): ${reason}`);
    expect(run.out).toContain("  - prerequisite 'router-cutover' is open");

    const item = repo.manifest().items.find((i) => i.id === 'legacy-endpoints-removed');
    expect(item).toMatchObject({ state: 'closed', closed_at: BEFORE_SUNSET, reason, forced: true });
    const raw = JSON.parse(readFileSync(repo.manifestPath, 'utf8'));
    expect(raw.items[1].forced).toBe(true);
    expect(JSON.parse(repo.read('openapi/openapi.json')).paths['/api/zpe/jobs']).toBeUndefined();

    // Removed before its sunset: contract:diff says so, whatever the manifest.
    const diff = contractDiff([base, 'openapi/openapi.json', '--today', BEFORE_SUNSET], repo.root);
    expect(diff.code).toBe(1);
    expect(diff.out).toContain(
      `ERR  api-path-removed-before-sunset  POST /api/zpe/jobs  operation POST /api/zpe/jobs removed before its sunset 2027-03-01 (today ${BEFORE_SUNSET})`,
    );
    // And the audit fails: a closed item's modules still reference Redis.
    const audit = await retire(['audit', '--root', repo.root]);
    expect(audit.code).toBe(1);
    expect(audit.err).toMatch(/src\/backends\/legacy-redis\/jobs\.ts:[\d,]+ {2}FAIL/);
    const failing = audit.err.split('\n').filter((line) => line.endsWith('  FAIL')).length;
    expect(failing).toBeGreaterThan(0);
    expect(audit.err).toContain(`audit fails: ${failing} module(s) of closed items still reference Redis`);

    const again = await retire(['close', 'legacy-endpoints-removed', '--reason', 'twice', '--root', repo.root], env);
    expect(again.code).toBe(1);
    expect(again.err).toContain(`item 'legacy-endpoints-removed' is already closed (${BEFORE_SUNSET}: ${reason})`);
  });

  it('never closes an item whose operations have no successor for the 410, not even with --force', async () => {
    const before = snapshot();
    const run = await retire(
      ['close', 'redis-modules-deleted', '--force', '--reason', 'r', '--root', repo.root, '--today', AFTER_SUNSET],
      env,
    );
    expect(run.code).toBe(1);
    expect(run.err).toContain(
      "refused: createEnrollToken, registerComputeServer of 'redis-modules-deleted' have no successor for the 410 to name",
    );
    expect(snapshot()).toEqual(before);
  });

  it('the exception stays exempt from the audit while it is open', async () => {
    const deprecated = await retire(
      [
        'deprecate',
        'redis-modules-deleted',
        '--successor',
        'https://docs.zpe.internal/next-gen/workers',
        '--sunset',
        AFTER_SUNSET,
        '--root',
        repo.root,
      ],
      env,
    );
    expect(deprecated.code, deprecated.err).toBe(0);
    const forced = await retire(
      ['close', 'redis-modules-deleted', '--force', '--reason', 'exemption check', '--root', repo.root],
      env,
    );
    expect(forced.code, forced.err).toBe(0);
    const audit = await retire(['audit', '--root', repo.root, '--json']);
    const report = JSON.parse(audit.out) as {
      items: { id: string; references: { path: string }[]; failures: { path: string }[] }[];
    };
    const modules = report.items.find((i) => i.id === 'redis-modules-deleted');
    const failing = modules?.failures.map((f) => f.path) ?? [];
    expect(modules?.references.map((r) => r.path)).toContain('src/backends/legacy-redis/workers.ts');
    expect(failing).not.toContain('src/backends/legacy-redis/workers.ts');
    expect(failing).toContain('src/backends/legacy-redis/scripts/register.lua');
  });
});

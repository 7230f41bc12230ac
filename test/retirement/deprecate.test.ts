import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyRepo, deprecatedManifest, type Repo, retire } from './harness.js';

/** `retire deprecate` as an operator runs it once a replacement is live, on a copy of the repository. */
describe('retire deprecate', () => {
  let repo: Repo;
  const snapshot = () => ({
    manifest: repo.read('routes/retirement.json'),
    contract: repo.read('openapi/openapi.json'),
    types: repo.read('openapi/schema.ts'),
  });
  const run = (...args: string[]) => retire([...args, '--root', repo.root]);

  beforeEach(() => {
    repo = copyRepo();
  });
  afterEach(() => repo.cleanup());

  it('records the successor and the dates, and regenerates the contract with the operations marked', async () => {
    const done = await run(
      'deprecate',
      'redis-modules-deleted',
      '--successor',
      'https://docs.zpe.internal/next-gen/workers',
      '--successor',
      'registerComputeServer=https://docs.zpe.internal/next-gen/workers#registration',
      '--date',
      '2027-01-04',
      '--sunset',
      '2027-04-01',
    );
    expect(done.code, done.err).toBe(0);
    expect(done.out).toContain("deprecated 'redis-modules-deleted' from 2027-01-04, sunset 2027-04-01:");
    expect(done.out).toContain('  createEnrollToken -> https://docs.zpe.internal/next-gen/workers\n');
    expect(done.out).toContain('  registerComputeServer -> https://docs.zpe.internal/next-gen/workers#registration\n');
    expect(done.out).toContain('wrote routes/retirement.json, openapi/openapi.json, openapi/schema.ts');
    expect(repo.manifest().items.find((i) => i.id === 'redis-modules-deleted')).toMatchObject({
      deprecation: '2027-01-04',
      sunset: '2027-04-01',
      operations: [
        { operation: 'createEnrollToken', successor: 'https://docs.zpe.internal/next-gen/workers' },
        {
          operation: 'registerComputeServer',
          successor: 'https://docs.zpe.internal/next-gen/workers#registration',
        },
      ],
    });
    const enroll = JSON.parse(repo.read('openapi/openapi.json')).paths['/api/zpe/compute/enroll-tokens'].post;
    expect(enroll).toMatchObject({ deprecated: true, 'x-sunset': '2027-04-01' });
    // The other items are as they were.
    const others = repo.manifest().items.filter((i) => i.id !== 'redis-modules-deleted');
    expect(others.every((i) => !i.deprecation)).toBe(true);
  });

  it('refuses without a successor for every operation, naming those without, and changes nothing', async () => {
    const before = snapshot();
    const none = await run('deprecate', 'redis-modules-deleted', '--sunset', '2027-04-01');
    expect(none.code).toBe(1);
    expect(none.err).toContain('createEnrollToken, registerComputeServer have none');
    const one = await run(
      'deprecate',
      'redis-modules-deleted',
      '--successor',
      'createEnrollToken=https://docs.zpe.internal/next-gen/enroll',
      '--sunset',
      '2027-04-01',
    );
    expect(one.code).toBe(1);
    expect(one.err).toContain('registerComputeServer has none: --successor URL (every operation)');
    expect(snapshot()).toEqual(before);
  });

  it('refuses a placeholder or malformed successor and an operation the item does not retire, as usage errors', async () => {
    const before = snapshot();
    for (const [successor, message] of [
      ['https://docs.zpe.example/next-gen', 'docs.zpe.example is a placeholder name (RFC 2606)'],
      ['https://example.com/x', 'example.com is a placeholder name'],
      ['ftp://docs.zpe.internal/x', 'must be an http(s) URL'],
      ['not a url', 'must be an http(s) URL'],
      ['leaseJob=https://docs.zpe.internal/x', "'redis-modules-deleted' retires no operation 'leaseJob'"],
    ] as const) {
      const refused = await run(
        'deprecate',
        'redis-modules-deleted',
        '--successor',
        successor,
        '--sunset',
        '2027-04-01',
      );
      expect(refused.code, successor).toBe(2);
      expect(refused.err, successor).toContain(message);
    }
    expect(snapshot()).toEqual(before);
  });

  it('keeps successors already recorded when the sunset moves later', async () => {
    const first = await run(
      'deprecate',
      'redis-modules-deleted',
      '--successor',
      'https://docs.zpe.internal/a',
      '--date',
      '2027-01-04',
      '--sunset',
      '2027-04-01',
    );
    expect(first.code, first.err).toBe(0);
    const later = await run('deprecate', 'redis-modules-deleted', '--sunset', '2027-05-01');
    expect(later.code, later.err).toBe(0);
    expect(repo.manifest().items.find((i) => i.id === 'redis-modules-deleted')).toMatchObject({
      deprecation: '2027-01-04',
      sunset: '2027-05-01',
      operations: [{ successor: 'https://docs.zpe.internal/a' }, { successor: 'https://docs.zpe.internal/a' }],
    });
  });

  it("makes the tests' deprecated manifest exactly as an operator would", async () => {
    const item = deprecatedManifest().items.find((i) => i.id === 'legacy-endpoints-removed');
    const done = await run(
      'deprecate',
      'legacy-endpoints-removed',
      ...(item?.operations ?? []).flatMap((o) => ['--successor', `${o.operation}=${o.successor}`]),
      '--date',
      item?.deprecation ?? '',
      '--sunset',
      item?.sunset ?? '',
    );
    expect(done.code, done.err).toBe(0);
    expect(repo.manifest()).toEqual(deprecatedManifest());
  });
});

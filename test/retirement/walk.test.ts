import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATIONS, operationId } from '../../src/contract/operations.js';
import { deriveLifecycle, type Lifecycle } from '../../src/lifecycle/derive.js';
import type { RetirementManifest } from '../../src/lifecycle/manifest.js';
import { type PrivateRedis, startRedis } from '../support/redis-server.js';
import { contractDiff, copyRepo, IMF_FIXDATE, retire, STRUCTURED_DATE, startRetirementGateway } from './harness.js';

/** After every sunset of the walk: the day the checklist is worked through. */
const AFTER = '2027-06-01';
/** When the walk deprecates each item (the committed manifest deprecates none), and their sunset. */
const DEPRECATE_ON = '2027-03-01';
const SUNSET = '2027-05-01';

/** The router under `manifest`: 410 and the successor for removed operations, headers for deprecated ones. */
async function checkRouter(redis: PrivateRedis, manifest: RetirementManifest, lifecycle: Lifecycle) {
  const gateway = await startRetirementGateway(redis, { manifest });
  try {
    for (const op of OPERATIONS) {
      const entry = lifecycle.get(operationId(op));
      const answer = await gateway.callOperation(op, { user: 'walker' });
      const where = `${operationId(op)} (${entry?.state})`;
      if (entry?.state === 'removed') {
        expect(answer.status, where).toBe(410);
        expect(answer.json.error?.code, where).toBe('gone');
        expect(answer.json.error?.details?.successor, where).toBe(entry.successor);
        expect(answer.headers.get('link'), where).toBe(`<${entry.successor}>; rel="successor-version"`);
        expect(answer.headers.get('x-zpe-route-reason'), where).toBe('lifecycle:removed');
      } else {
        expect(answer.status, where).not.toBe(410);
        expect(answer.json.error?.message ?? '', where).not.toMatch(/^no route/);
        const deprecated = entry?.state === 'deprecated';
        expect(STRUCTURED_DATE.test(answer.headers.get('deprecation') ?? ''), where).toBe(deprecated);
        expect(IMF_FIXDATE.test(answer.headers.get('sunset') ?? ''), where).toBe(deprecated);
      }
    }
  } finally {
    await gateway.close();
  }
}

/** openapi/openapi.json and openapi/schema.ts hold exactly the operations not removed, deprecated ones marked. */
function checkContract(
  document: Record<string, Record<string, Record<string, unknown>>>,
  types: string,
  lifecycle: Lifecycle,
) {
  const paths = document.paths ?? {};
  for (const op of OPERATIONS) {
    const id = operationId(op);
    const entry = lifecycle.get(id);
    const published = paths[op.path]?.[op.method] as Record<string, unknown> | undefined;
    const typed = types.includes(`    ${id}: {`);
    if (entry?.state === 'removed') {
      expect(published, `${id} left openapi.json`).toBeUndefined();
      expect(typed, `${id} left schema.ts`).toBe(false);
    } else {
      expect(published, `${id} is in openapi.json`).toBeDefined();
      expect(typed, `${id} is in schema.ts`).toBe(true);
      expect(published?.deprecated).toBe(entry?.state === 'deprecated' ? true : undefined);
      expect(published?.['x-sunset']).toBe(entry?.state === 'deprecated' ? entry.sunset : undefined);
    }
  }
}

describe('walking the plan on a copy of the repository', () => {
  const repo = copyRepo();
  let redis: PrivateRedis;
  let step = 0;

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
    repo.cleanup();
  });

  /** The contract before a change, kept as the BASE of the next contract:diff. */
  const snapshotContract = () => {
    const path = join(repo.root, `base-${step++}.json`);
    writeFileSync(path, repo.read('openapi/openapi.json'));
    return path;
  };

  it('closes every item in the required order: each removal RETIRED, never an ERR, the audit passing throughout', async () => {
    const env = { ZPE_REDIS_URL: redis.url };
    const start = repo.manifest();
    const exception = start.items.find((i) => i.exception);
    if (!exception) throw new Error('the manifest has no exception item');

    for (const { id } of start.items) {
      let item = repo.manifest().items.find((i) => i.id === id);
      if (!item) throw new Error(id);

      if (item.operations.length > 0 && !item.deprecation) {
        const base = snapshotContract();
        const deprecated = await retire(
          [
            'deprecate',
            id,
            '--successor',
            `https://docs.zpe.internal/next-gen/${id}`,
            '--date',
            DEPRECATE_ON,
            '--sunset',
            SUNSET,
            '--root',
            repo.root,
            '--today',
            DEPRECATE_ON,
          ],
          env,
        );
        expect(deprecated.code, deprecated.err).toBe(0);
        const diff = contractDiff([base, 'openapi/openapi.json', '--today', DEPRECATE_ON], repo.root);
        expect(diff.code, diff.out).toBe(0);
        for (const { operation } of item.operations) {
          const op = OPERATIONS.find((o) => operationId(o) === operation);
          expect(diff.out).toContain(
            `INFO  endpoint-deprecated-with-sunset  ${op?.method.toUpperCase()} ${op?.path}  operation deprecated, sunset ${SUNSET}`,
          );
        }
        const manifest = repo.manifest();
        await checkRouter(redis, manifest, deriveLifecycle(manifest));
        item = manifest.items.find((i) => i.id === id) ?? item;
      }

      // The cleanup the item asks for: its modules go, except those the open exception still needs.
      const exempt = new Set(item.exception ? [] : exception.modules);
      for (const module of item.modules) if (!exempt.has(module)) repo.remove(module);

      const base = snapshotContract();
      const closed = await retire(
        ['close', id, '--reason', `walk: ${id} done`, '--root', repo.root, '--today', AFTER],
        env,
      );
      expect(closed.code, closed.err).toBe(0);
      expect(closed.out).toContain(`closed '${id}' on ${AFTER}: walk: ${id} done`);

      const manifest = repo.manifest();
      const now = manifest.items.find((i) => i.id === id);
      expect(now).toMatchObject({ state: 'closed', closed_at: AFTER, reason: `walk: ${id} done` });
      expect(now?.forced).toBeUndefined();
      const lifecycle = deriveLifecycle(manifest);

      checkContract(JSON.parse(repo.read('openapi/openapi.json')), repo.read('openapi/schema.ts'), lifecycle);

      // HEAD is the working tree's openapi/openapi.json, so the diff reads the working tree's manifest.
      const diff = contractDiff([base, 'openapi/openapi.json', '--today', AFTER], repo.root);
      expect(diff.code, diff.out).toBe(0);
      expect(diff.out.split('\n').filter((line) => line.startsWith('ERR'))).toEqual([]);
      for (const { operation } of item.operations) {
        const op = OPERATIONS.find((o) => operationId(o) === operation);
        expect(diff.out).toMatch(
          new RegExp(
            `^RETIRED  endpoint-retired  ${op?.method.toUpperCase()} ${op?.path.replace(/[{}]/g, '\\$&')}  `,
            'm',
          ),
        );
      }
      if (item.operations.length === 0) expect(diff.out).toBe('0 changes: 0 error, 0 warning, 0 info\n');

      await checkRouter(redis, manifest, lifecycle);

      const audit = await retire(['audit', '--root', repo.root]);
      expect(audit.code, audit.err).toBe(0);
    }

    const end = repo.manifest();
    expect(end.items.every((i) => i.state === 'closed')).toBe(true);
    const document = JSON.parse(repo.read('openapi/openapi.json'));
    expect(Object.keys(document.paths)).toEqual(['/api/zpe/parse']);
    const audit = await retire(['audit', '--root', repo.root, '--json']);
    const report = JSON.parse(audit.out) as { ok: boolean; items: { references: unknown[] }[] };
    expect(report.ok).toBe(true);
    expect(report.items.flatMap((i) => i.references)).toEqual([]);
  });
});

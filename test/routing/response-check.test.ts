import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NextgenStandin, startNextgenStandin } from '../fixtures/nextgen-standin.js';
import { type RunningGateway, startGateway } from '../support/gateway.js';
import { SMALL_INPUT } from '../support/legacy-fixture.js';
import { type PrivateRedis, startRedis } from '../support/redis-server.js';

let redis: PrivateRedis;
let nextgen: NextgenStandin;
let lenient: RunningGateway;
let strict: RunningGateway;

const env = () => ({
  ZPE_REDIS_URL: redis.url,
  ZPE_BUILTIN_LEGACY: 'false',
  ZPE_NEXTGEN_URL: nextgen.origin,
});

beforeAll(async () => {
  redis = await startRedis();
  nextgen = await startNextgenStandin();
  lenient = await startGateway(env());
  strict = await startGateway({ ...env(), ZPE_STRICT_RESPONSES: 'true' });
});

afterAll(async () => {
  await Promise.all([lenient?.close(), strict?.close()]);
  await nextgen?.close();
  await redis?.stop();
});

const parse = (gateway: RunningGateway) =>
  gateway.fetch('/api/zpe/parse', {
    method: 'POST',
    json: { content: SMALL_INPUT },
  });

describe('next-gen answers checked against the contract', () => {
  it('passes a conforming answer through untouched', async () => {
    const response = await parse(strict);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-zpe-backend')).toBe('nextgen');
  });

  it('counts and logs a non-conforming answer, and in strict mode answers 502 instead', async () => {
    nextgen.setFault({ kind: 'mutate', mutate: (body) => ({ ...(body as object), fixed_indices: 'none' }) }, [
      'parseQeInput',
    ]);
    try {
      const passed = await parse(lenient);
      expect(passed.status).toBe(200);
      expect(((await passed.json()) as { fixed_indices: unknown }).fixed_indices).toBe('none');
      expect(
        lenient.logs.some((l) => l.includes('next-gen answer breaks the contract') && l.includes('fixed_indices')),
      ).toBe(true);
      const ops = (await (await lenient.fetch('/api/zpe/admin/ops', { admin: true })).json()) as {
        nextgen_contract_violations: Record<string, number>;
      };
      expect(ops.nextgen_contract_violations.parseQeInput).toBe(1);

      const refused = await parse(strict);
      expect(refused.status).toBe(502);
      const body = (await refused.json()) as { error: { code: string; details: { violations: string[] } } };
      expect(body.error.code).toBe('bad_gateway');
      expect(body.error.details.violations[0]).toContain('fixed_indices');
    } finally {
      nextgen.setFault(undefined);
    }
  });

  it('treats an undeclared status as a violation', async () => {
    nextgen.setFault({ kind: 'status', status: 418 }, ['parseQeInput']);
    try {
      const refused = await parse(strict);
      expect(refused.status).toBe(502);
      expect(
        ((await refused.json()) as { error: { details: { violations: string[] } } }).error.details.violations,
      ).toEqual(['status 418 is not declared']);
    } finally {
      nextgen.setFault(undefined);
    }
  });
});

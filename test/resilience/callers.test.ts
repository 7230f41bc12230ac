import { type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markVerified } from '../../src/auth/verified.js';
import { operationById } from '../../src/contract/operations.js';
import { createCallerCounter, memoryCallerStore, OVERFLOW_CALLER } from '../../src/lifecycle/callers.js';
import {
  type IdentityProvider,
  type SigningKey,
  signingKey,
  startIdentityProvider,
} from '../auth/identity-provider.js';
import { deprecatedManifest, type RetirementGateway, retire, startRetirementGateway } from '../retirement/harness.js';
import { type PrivateRedis, startRedis } from '../support/redis-server.js';
import { until } from '../support/until.js';
import { manifestFile } from './manifest-copy.js';

/**
 * Caller counts of a deprecated operation, as the retirement gates read them: visible to `retire status`
 * (and so to every instance) within seconds of the calls, without anyone reading /admin/callers on the
 * instance that served them; requests whose credentials were refused are no callers, however many.
 */

const VISIBLE_WITHIN_MS = 6_000;
const FORGED = 1_000;

let redis: PrivateRedis;
let idp: IdentityProvider;
let key: SigningKey;
let served: RetirementGateway;
let other: RetirementGateway;
const manifest = deprecatedManifest();
const file = manifestFile(manifest);
const today = new Date().toISOString().slice(0, 10);

function signed(sub: string): Promise<string> {
  return new SignJWT({ sub })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .setIssuer(idp.issuer)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key.privateKey);
}

/** Signed by nobody the issuer publishes: what an attacker can mint by the thousand. */
function forged(sub: string): string {
  const part = (value: JWTPayload | object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT', kid: key.kid })}.${part({ sub, iss: idp.issuer, exp: 9_999_999_999 })}.c2ln`;
}

async function statusCallers(): Promise<Record<string, Record<string, number> | null>> {
  const run = await retire(['status', '--json', '--manifest', file.path, '--today', today], {
    ZPE_REDIS_URL: redis.url,
  });
  expect(run.code, run.err).toBe(0);
  const status = JSON.parse(run.out) as { items: { operations: { id: string; callers: Record<string, number> }[] }[] };
  return Object.fromEntries(status.items.flatMap((i) => i.operations.map((o) => [o.id, o.callers])));
}

beforeAll(async () => {
  key = await signingKey('RS256', 'kid-callers');
  idp = await startIdentityProvider([key]);
  redis = await startRedis();
  const env = { AUTH_MODE: 'clerk', AUTH_CLERK_ISSUER: idp.issuer };
  served = await startRetirementGateway(redis, { manifest, env });
  other = await startRetirementGateway(redis, { manifest, env });
});
afterAll(async () => {
  await served?.close();
  await other?.close();
  await redis?.stop();
  await idp?.close();
  file.cleanup();
});

describe('callers of a deprecated operation', () => {
  it('reach retire status within seconds, and forged or missing credentials never count', async () => {
    const users = ['ada', 'grace', 'linus'];
    for (const user of users) {
      const answer = await served.call('GET', '/api/zpe/targets', { bearer: await signed(user) });
      expect(answer.status).toBe(200);
    }
    const refused = new Map<number, number>();
    for (let i = 0; i < FORGED; i += 100) {
      const batch = Array.from({ length: 100 }, (_, j) =>
        served.call('GET', '/api/zpe/targets', { bearer: forged(`forged-${i + j}`) }),
      );
      for (const answer of await Promise.all(batch)) refused.set(answer.status, (refused.get(answer.status) ?? 0) + 1);
    }
    expect(Object.fromEntries(refused)).toEqual({ 401: FORGED });
    expect((await served.call('GET', '/api/zpe/targets')).status).toBe(401);
    const started = performance.now();

    const expected = Object.fromEntries(users.map((u) => [`user:${u}`, 1]));
    let seen: Record<string, number> | null | undefined;
    await until(
      async () => {
        seen = (await statusCallers()).listQueueTargets;
        return JSON.stringify(seen) === JSON.stringify(expected);
      },
      VISIBLE_WITHIN_MS,
      200,
    );
    const ms = Math.round(performance.now() - started);

    // The other instance reports the same counts from Redis.
    const report = await other.call('GET', '/admin/callers?days=1', { bearer: 'retirement-admin-token' });
    const operations = report.json.operations as Record<string, { callers: Record<string, number> }>;
    expect(operations.listQueueTargets?.callers).toEqual(expected);
    console.log(
      `callers: ${users.length + FORGED + 1} requests (${users.length} verified 200, ${FORGED + 1} refused 401); ` +
        `retire status saw ${JSON.stringify(seen)} ${ms} ms after the last call; forged callers counted: 0`,
    );
  });
});

describe('memory between flushes is bounded', () => {
  it('keeps at most the cap of distinct callers per operation and counts the rest as overflow', async () => {
    const store = memoryCallerStore();
    const counter = createCallerCounter({ store, maxCallersPerFlush: 100 });
    const operation = operationById('listQueueTargets')!;
    for (let i = 0; i < 250; i++) {
      const request = new Request('http://gateway.test/api/zpe/targets');
      markVerified(request, { kind: 'user', id: `u${i}` });
      counter.note(operation, request);
    }
    // An unverified request is not counted at all.
    counter.note(operation, new Request('http://gateway.test/api/zpe/targets'));
    await until(async () => {
      const log = await counter.read(['listQueueTargets'], 1);
      const counts = Object.values(log.listQueueTargets ?? {})[0] ?? {};
      return Object.values(counts).reduce((a, b) => a + b, 0) === 250;
    }, 2_000);
    const counts = Object.values((await counter.read(['listQueueTargets'], 1)).listQueueTargets ?? {})[0] ?? {};
    expect(Object.keys(counts)).toHaveLength(101);
    expect(counts[OVERFLOW_CALLER]).toBe(150);
    await counter.close();
  });
});

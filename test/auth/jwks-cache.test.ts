import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createUserAuthenticator, type UserAuthenticatorOptions } from '../../src/auth/index.js';
import { loadConfig } from '../../src/config/env.js';
import { jsonLogger } from '../../src/observability/log.js';
import { freePort } from '../support/redis-server.js';
import {
  answer,
  type IdentityProvider,
  read,
  type SigningKey,
  signingKey,
  startIdentityProvider,
  withBearer,
} from './identity-provider.js';

let rsa: SigningKey;
let ed: SigningKey;
let next: SigningKey;
const open: IdentityProvider[] = [];

beforeAll(async () => {
  [rsa, ed, next] = await Promise.all([
    signingKey('RS256', 'kid-2024'),
    signingKey('EdDSA', 'kid-ed'),
    signingKey('RS384', 'kid-2025'),
  ]);
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((idp) => idp.close()));
});

async function provider(keys: SigningKey[]) {
  const idp = await startIdentityProvider(keys);
  open.push(idp);
  return idp;
}

function authenticatorFor(issuer: string, options: UserAuthenticatorOptions = {}) {
  const { auth } = loadConfig({ AUTH_MODE: 'clerk', AUTH_CLERK_ISSUER: issuer });
  return createUserAuthenticator(auth, options);
}

const status = async (response: Promise<Response>) => (await response).status;

describe('JWKS caching', () => {
  it('fetches the JWKS once across many verifications, concurrent ones included', async () => {
    const idp = await provider([rsa, ed]);
    const auth = authenticatorFor(idp.issuer);
    const tokens = await Promise.all([idp.sign(rsa), idp.sign(ed)]);
    const burst = await Promise.all(
      Array.from({ length: 20 }, (_, i) => status(answer(auth, withBearer(tokens[i % 2]!)))),
    );
    for (let i = 0; i < 30; i++) burst.push(await status(answer(auth, withBearer(tokens[i % 2]!))));
    expect(burst.every((s) => s === 200)).toBe(true);
    expect(idp.jwksRequests).toBe(1);
  });

  it('picks up a new kid when the issuer rotates keys', async () => {
    const idp = await provider([rsa]);
    const auth = authenticatorFor(idp.issuer, { refetchCooldownMs: 0 });
    expect(await status(answer(auth, withBearer(await idp.sign(rsa))))).toBe(200);
    idp.publish([rsa, next]);
    expect(await read(answer(auth, withBearer(await idp.sign(next, { sub: 'rotated' }))))).toMatchObject({
      status: 200,
      body: { id: 'rotated' },
    });
    expect(idp.jwksRequests).toBe(2);
    // Both keys are now cached: neither costs another fetch.
    expect(await status(answer(auth, withBearer(await idp.sign(rsa))))).toBe(200);
    expect(await status(answer(auth, withBearer(await idp.sign(next))))).toBe(200);
    expect(idp.jwksRequests).toBe(2);
  });

  it('does not refetch for unknown kids within the cooldown, so forged kids cannot flood the issuer', async () => {
    const idp = await provider([rsa]);
    const auth = authenticatorFor(idp.issuer, { refetchCooldownMs: 60_000 });
    expect(await status(answer(auth, withBearer(await idp.sign(rsa))))).toBe(200);
    idp.publish([rsa, next]);
    const forged = await Promise.all(
      Array.from({ length: 10 }, async () => read(answer(auth, withBearer(await idp.sign(next))))),
    );
    for (const got of forged) {
      expect(got).toMatchObject({ status: 401, body: { error: { message: 'invalid token: unknown kid' } } });
    }
    expect(idp.jwksRequests).toBe(1);
  });

  it('stops accepting a key the issuer withdrew once the cache expires', async () => {
    const idp = await provider([rsa, next]);
    const auth = authenticatorFor(idp.issuer, { cacheTtlMs: 0, refetchCooldownMs: 0 });
    const token = await idp.sign(rsa);
    expect(await status(answer(auth, withBearer(token)))).toBe(200);
    idp.publish([next]);
    expect(await read(answer(auth, withBearer(token)))).toMatchObject({
      status: 401,
      body: { error: { message: 'invalid token: unknown kid' } },
    });
  });
});

describe('JWKS unavailable', () => {
  it('answers 503 when nothing listens at the issuer', async () => {
    const auth = authenticatorFor(`http://127.0.0.1:${await freePort()}`);
    const token = await (await provider([rsa])).sign(rsa);
    expect(await read(answer(auth, withBearer(token)))).toMatchObject({
      status: 503,
      body: { error: { code: 'service_unavailable', message: 'identity provider unavailable' } },
    });
  });

  it.each([
    ['drops the connection', 'reset'],
    ['answers 500', 'error'],
    ['answers HTML', 'garbage'],
  ] as const)('answers 503 when the issuer %s', async (_, mode) => {
    const idp = await provider([rsa]);
    idp.mode = mode;
    const got = await read(answer(authenticatorFor(idp.issuer), withBearer(await idp.sign(rsa))));
    expect(got).toMatchObject({ status: 503, body: { error: { message: 'identity provider unavailable' } } });
  });

  it('recovers once the issuer is back', async () => {
    const idp = await provider([rsa]);
    const auth = authenticatorFor(idp.issuer, { refetchCooldownMs: 0 });
    const token = await idp.sign(rsa);
    idp.mode = 'error';
    expect(await status(answer(auth, withBearer(token)))).toBe(503);
    idp.mode = 'ok';
    expect(await status(answer(auth, withBearer(token)))).toBe(200);
  });

  it('keeps verifying with the last keys it read while the issuer is down, and logs why without tokens', async () => {
    const lines: string[] = [];
    const idp = await provider([rsa]);
    const auth = authenticatorFor(idp.issuer, {
      cacheTtlMs: 0,
      refetchCooldownMs: 0,
      logger: jsonLogger('debug', (line) => lines.push(line)),
    });
    const token = await idp.sign(rsa);
    expect(await status(answer(auth, withBearer(token)))).toBe(200);
    idp.mode = 'reset';
    expect(await status(answer(auth, withBearer(token)))).toBe(200);
    expect(idp.jwksRequests).toBe(2);
    const reported = lines.filter((line) => JSON.parse(line).level !== 'debug');
    expect(reported).toHaveLength(1);
    expect(JSON.parse(reported[0]!)).toMatchObject({
      level: 'warn',
      msg: 'jwks refresh failed',
      url: `${idp.issuer}/.well-known/jwks.json`,
      serving_cached_keys: true,
    });
    expect(lines.join('\n')).not.toContain(token);
  });

  it('fails fast after a failed first load instead of waiting on the issuer for every request', async () => {
    const idp = await provider([rsa]);
    idp.mode = 'error';
    const auth = authenticatorFor(idp.issuer);
    const token = await idp.sign(rsa);
    const answers = await Promise.all(Array.from({ length: 10 }, () => status(answer(auth, withBearer(token)))));
    answers.push(await status(answer(auth, withBearer(token))));
    expect(answers.every((s) => s === 503)).toBe(true);
    expect(idp.jwksRequests).toBe(1);
  });
});

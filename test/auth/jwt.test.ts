import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserAuthenticator } from '../../src/auth/index.js';
import { loadConfig } from '../../src/config/env.js';
import {
  answer,
  type IdentityProvider,
  read,
  type SigningAlg,
  type SigningKey,
  signingKey,
  startIdentityProvider,
  withBearer,
} from './identity-provider.js';

const ALGS: SigningAlg[] = ['RS256', 'RS384', 'RS512', 'EdDSA'];

let idp: IdentityProvider;
let keys: Record<SigningAlg, SigningKey>;

beforeAll(async () => {
  const generated = await Promise.all(ALGS.map((alg) => signingKey(alg, `kid-${alg}`)));
  keys = Object.fromEntries(generated.map((k) => [k.alg, k])) as Record<SigningAlg, SigningKey>;
  idp = await startIdentityProvider(generated);
});
afterAll(() => idp.close());

function authenticator(env: Record<string, string> = {}) {
  const { auth } = loadConfig({ AUTH_MODE: 'clerk', AUTH_CLERK_ISSUER: idp.issuer, ...env });
  return createUserAuthenticator(auth);
}

const unauthorized = (message: string) => ({ status: 401, body: { error: { code: 'unauthorized', message } } });

describe('AUTH_MODE=clerk: accepted tokens', () => {
  it.each(ALGS)('accepts a token signed with %s and answers the sub and email', async (alg) => {
    const token = await idp.sign(keys[alg], { sub: `user_${alg}` });
    const got = await read(answer(authenticator(), withBearer(token)));
    expect(got).toMatchObject({ status: 200, body: { id: `user_${alg}`, email: 'ada@example.com' } });
  });

  it('treats email as optional', async () => {
    const token = await idp.sign(keys.RS256, { email: undefined });
    expect((await read(answer(authenticator(), withBearer(token)))).body).toEqual({ id: 'user_1' });
  });

  it('checks the audience when one is configured', async () => {
    const auth = authenticator({ AUTH_CLERK_AUDIENCE: 'zpe-api' });
    const token = await idp.sign(keys.EdDSA, {}, (jwt) => jwt.setAudience(['other', 'zpe-api']));
    expect((await read(answer(auth, withBearer(token)))).status).toBe(200);
  });

  it('accepts the issuer configured with a trailing slash', async () => {
    const token = await idp.sign(keys.RS256);
    const got = await read(answer(authenticator({ AUTH_CLERK_ISSUER: `${idp.issuer}/` }), withBearer(token)));
    expect(got.status).toBe(200);
  });

  it('admits a listed email whatever its case', async () => {
    const auth = authenticator({ AUTH_ALLOWED_EMAILS: 'grace@example.com, ADA@Example.com' });
    const token = await idp.sign(keys.RS512, { email: 'Ada@EXAMPLE.com' });
    expect((await read(answer(auth, withBearer(token)))).status).toBe(200);
  });
});

describe('AUTH_MODE=clerk: refused tokens', () => {
  it('answers 401 without a bearer token', async () => {
    const auth = authenticator();
    expect(await read(answer(auth, new Request('http://gateway.test/')))).toMatchObject(
      unauthorized('missing bearer token'),
    );
    const basic = new Request('http://gateway.test/', { headers: { authorization: 'Basic dXNlcjpwdw==' } });
    expect(await read(answer(auth, basic))).toMatchObject(unauthorized('missing bearer token'));
  });

  it('answers 401 for a token from another issuer', async () => {
    const token = await idp.sign(keys.RS256, {}, (jwt) => jwt.setIssuer('https://evil.example'));
    expect(await read(answer(authenticator(), withBearer(token)))).toMatchObject(
      unauthorized('invalid token: wrong issuer'),
    );
  });

  it('answers 401 for a token for another audience, or none, when one is configured', async () => {
    const auth = authenticator({ AUTH_CLERK_AUDIENCE: 'zpe-api' });
    const other = await idp.sign(keys.RS256, {}, (jwt) => jwt.setAudience('billing'));
    expect(await read(answer(auth, withBearer(other)))).toMatchObject(unauthorized('invalid token: wrong audience'));
    const none = await idp.sign(keys.RS256);
    expect(await read(answer(auth, withBearer(none)))).toMatchObject(unauthorized('invalid token: wrong audience'));
  });

  it('answers 401 for an expired token', async () => {
    const token = await idp.sign(keys.RS384, {}, (jwt) =>
      jwt.setIssuedAt(Math.floor(Date.now() / 1000) - 600).setExpirationTime(Math.floor(Date.now() / 1000) - 60),
    );
    expect(await read(answer(authenticator(), withBearer(token)))).toMatchObject(
      unauthorized('invalid token: expired'),
    );
  });

  it('answers 401 for a token not valid yet', async () => {
    const token = await idp.sign(keys.RS256, {}, (jwt) => jwt.setNotBefore(Math.floor(Date.now() / 1000) + 600));
    expect(await read(answer(authenticator(), withBearer(token)))).toMatchObject(
      unauthorized('invalid token: not yet valid'),
    );
  });

  it('answers 401 for a signature made by a key that is not the published one', async () => {
    const impostor = await signingKey('RS256', keys.RS256.kid);
    const token = await idp.sign(impostor);
    expect(await read(answer(authenticator(), withBearer(token)))).toMatchObject(
      unauthorized('invalid token: bad signature'),
    );
  });

  it('answers 401 for a tampered payload', async () => {
    const [header, , signature] = (await idp.sign(keys.EdDSA)).split('.');
    const forged = Buffer.from(JSON.stringify({ sub: 'admin', iss: idp.issuer, exp: 9_999_999_999 })).toString(
      'base64url',
    );
    const got = await read(answer(authenticator(), withBearer(`${header}.${forged}.${signature}`)));
    expect(got).toMatchObject(unauthorized('invalid token: bad signature'));
  });

  it('answers 401 for a kid the issuer does not publish', async () => {
    const stranger = await signingKey('RS256', 'kid-stranger');
    const token = await idp.sign(stranger);
    expect(await read(answer(authenticator(), withBearer(token)))).toMatchObject(
      unauthorized('invalid token: unknown kid'),
    );
  });

  it('answers 401 for a published kid used with another algorithm', async () => {
    const rs256UnderRs512Kid = await signingKey('RS256', keys.RS512.kid);
    const token = await idp.sign(rs256UnderRs512Kid);
    expect(await read(answer(authenticator(), withBearer(token)))).toMatchObject(
      unauthorized('invalid token: signing key does not match alg'),
    );
  });

  it('refuses HS256 even when the secret is the published public key (algorithm confusion)', async () => {
    const secret = new TextEncoder().encode(JSON.stringify(keys.RS256.publicJwk));
    const token = await new SignJWT({ sub: 'user_1' })
      .setProtectedHeader({ alg: 'HS256', kid: keys.RS256.kid })
      .setIssuer(idp.issuer)
      .setExpirationTime('5m')
      .sign(secret);
    expect(await read(answer(authenticator(), withBearer(token)))).toMatchObject(
      unauthorized('invalid token: algorithm not allowed'),
    );
  });

  it('refuses an unsigned token (alg none)', async () => {
    const token = new UnsecuredJWT({ sub: 'user_1' }).setIssuer(idp.issuer).setExpirationTime('5m').encode();
    expect(token.endsWith('.')).toBe(true);
    expect(await read(answer(authenticator(), withBearer(token)))).toMatchObject(
      unauthorized('invalid token: algorithm not allowed'),
    );
  });

  it('answers 401 for a token without sub, or with an empty one', async () => {
    const missing = await idp.sign(keys.RS256, { sub: undefined });
    expect(await read(answer(authenticator(), withBearer(missing)))).toMatchObject(
      unauthorized('invalid token: missing sub claim'),
    );
    const empty = await idp.sign(keys.RS256, { sub: ' ' });
    expect(await read(answer(authenticator(), withBearer(empty)))).toMatchObject(
      unauthorized('invalid token: missing sub claim'),
    );
  });

  it('answers 401 for something that is not a JWT, without echoing it', async () => {
    const got = await read(answer(authenticator(), withBearer('not-a-jwt-SECRETISH')));
    expect(got).toMatchObject(unauthorized('invalid token: malformed token'));
    expect(got.text).not.toContain('SECRETISH');
  });

  it('answers 403 when the email is not listed in AUTH_ALLOWED_EMAILS', async () => {
    const auth = authenticator({ AUTH_ALLOWED_EMAILS: 'grace@example.com' });
    const token = await idp.sign(keys.RS256, { email: 'mallory@example.com' });
    const got = await read(answer(auth, withBearer(token)));
    expect(got).toMatchObject({ status: 403, body: { error: { code: 'forbidden', message: 'email not allowed' } } });
  });

  it('answers 403 when AUTH_ALLOWED_EMAILS is set and the token has no email', async () => {
    const auth = authenticator({ AUTH_ALLOWED_EMAILS: 'grace@example.com' });
    const token = await idp.sign(keys.RS256, { email: undefined });
    const got = await read(answer(auth, withBearer(token)));
    expect(got).toMatchObject({
      status: 403,
      body: { error: { code: 'forbidden', message: 'email required: only listed emails are allowed' } },
    });
  });
});

describe('AUTH_MODE=clerk without an issuer', () => {
  it('refuses users with 503 naming the missing setting, rather than letting anyone in', async () => {
    const { auth } = loadConfig({ AUTH_MODE: 'clerk', ZPE_LEGACY_URL: 'http://legacy.internal' });
    const got = await read(answer(createUserAuthenticator(auth), withBearer(await idp.sign(keys.RS256))));
    expect(got).toMatchObject({
      status: 503,
      body: {
        error: { code: 'service_unavailable', message: 'identity provider not configured: set AUTH_CLERK_ISSUER' },
      },
    });
  });
});

import { type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserAuthenticator } from '../../src/auth/index.js';
import { ConfigError, loadConfig } from '../../src/config/env.js';
import {
  answer,
  type IdentityProvider,
  read,
  type SigningKey,
  signingKey,
  startIdentityProvider,
  withBearer,
} from './identity-provider.js';

/** `exp` required and a bounded clock skew: a leaked token is not valid forever, nor issued in the future. */

let idp: IdentityProvider;
let key: SigningKey;

beforeAll(async () => {
  key = await signingKey('RS256', 'kid-claims');
  idp = await startIdentityProvider([key]);
});
afterAll(() => idp.close());

const now = () => Math.floor(Date.now() / 1000);

/** A token with exactly these time claims (none added), signed by the published key. */
function token(claims: JWTPayload): Promise<string> {
  return new SignJWT({ sub: 'user_1', iss: idp.issuer, ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .sign(key.privateKey);
}

async function verdict(claims: JWTPayload, env: Record<string, string> = {}) {
  const { auth } = loadConfig({ AUTH_MODE: 'clerk', AUTH_CLERK_ISSUER: idp.issuer, ...env });
  return read(answer(createUserAuthenticator(auth), withBearer(await token(claims))));
}

const refused = (message: string) => ({ status: 401, body: { error: { code: 'unauthorized', message } } });

describe('exp', () => {
  it('is required by default: a token without it is refused', async () => {
    expect(await verdict({ iat: now() })).toMatchObject(refused('invalid token: missing exp claim'));
  });

  it('can be made optional with AUTH_REQUIRE_EXP=false', async () => {
    expect(await verdict({ iat: now() }, { AUTH_REQUIRE_EXP: 'false' })).toMatchObject({ status: 200 });
  });

  it('past by less than the skew is accepted, past by more is refused', async () => {
    const env = { AUTH_CLOCK_SKEW_SECONDS: '60' };
    expect(await verdict({ iat: now() - 300, exp: now() - 30 }, env)).toMatchObject({ status: 200 });
    expect(await verdict({ iat: now() - 300, exp: now() - 120 }, env)).toMatchObject(refused('invalid token: expired'));
  });
});

describe('iat and nbf within the clock skew', () => {
  it('refuses a token issued far in the future, accepts one just inside the skew', async () => {
    const env = { AUTH_CLOCK_SKEW_SECONDS: '60' };
    expect(await verdict({ iat: now() + 3600, exp: now() + 7200 }, env)).toMatchObject(
      refused('invalid token: issued in the future'),
    );
    expect(await verdict({ iat: now() + 30, exp: now() + 600 }, env)).toMatchObject({ status: 200 });
  });

  it('the default skew is 5 seconds', async () => {
    expect(await verdict({ iat: now() + 120, exp: now() + 600 })).toMatchObject(
      refused('invalid token: issued in the future'),
    );
    expect(await verdict({ iat: now(), nbf: now() + 120, exp: now() + 600 })).toMatchObject(
      refused('invalid token: not yet valid'),
    );
  });

  it('nbf just inside the skew is accepted', async () => {
    const env = { AUTH_CLOCK_SKEW_SECONDS: '60' };
    expect(await verdict({ iat: now(), nbf: now() + 30, exp: now() + 600 }, env)).toMatchObject({ status: 200 });
  });

  it('a non-numeric iat is refused', async () => {
    expect(await verdict({ iat: 'yesterday' as unknown as number, exp: now() + 600 })).toMatchObject({ status: 401 });
  });
});

describe('configuration', () => {
  it('refuses a skew that is not a whole number of seconds up to an hour', () => {
    expect(() => loadConfig({ AUTH_CLOCK_SKEW_SECONDS: '-1' })).toThrow(ConfigError);
    expect(() => loadConfig({ AUTH_CLOCK_SKEW_SECONDS: '7200' })).toThrow(ConfigError);
    expect(() => loadConfig({ AUTH_REQUIRE_EXP: 'maybe' })).toThrow(ConfigError);
  });
});

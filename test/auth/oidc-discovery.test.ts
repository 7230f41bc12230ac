import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createUserAuthenticator, type UserAuthenticatorOptions } from '../../src/auth/index.js';
import { loadConfig } from '../../src/config/env.js';
import { jsonLogger } from '../../src/observability/log.js';
import { startGateway } from '../support/gateway.js';
import { type PrivateRedis, startRedis } from '../support/redis-server.js';
import { answer, read, type SigningKey, signingKey, withBearer } from './identity-provider.js';

/**
 * An OpenID Connect provider on 127.0.0.1 laid out like Keycloak: the issuer has a path
 * (`/realms/zpe`), the discovery document sits under it, and the keys are at a URL only the
 * discovery document names. Every request is recorded.
 */
interface OidcProvider {
  origin: string;
  issuer: string;
  /** The URL the discovery document names as `jwks_uri`. */
  jwksUri: string;
  requests: string[];
  /** Overrides fields of the discovery document (e.g. another issuer); `status` answers that instead. */
  discovery: { status?: number; fields?: Record<string, unknown> };
  sign(key: SigningKey, claims?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

async function startOidcProvider(keys: SigningKey[]): Promise<OidcProvider> {
  const server: Server = createServer((req, res) => {
    provider.requests.push(req.url ?? '');
    const path = new URL(req.url ?? '/', provider.origin).pathname;
    if (path === '/realms/zpe/.well-known/openid-configuration') {
      if (provider.discovery.status) {
        res.writeHead(provider.discovery.status, { 'content-type': 'text/plain' }).end('no');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          issuer: provider.issuer,
          jwks_uri: provider.jwksUri,
          authorization_endpoint: `${provider.issuer}/protocol/openid-connect/auth`,
          id_token_signing_alg_values_supported: ['RS256', 'EdDSA'],
          ...provider.discovery.fields,
        }),
      );
      return;
    }
    if (path === '/realms/zpe/protocol/openid-connect/certs' || path === '/keys/static.json') {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ keys: keys.map((k) => k.publicJwk) }));
      return;
    }
    res.writeHead(404).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider: OidcProvider = {
    origin,
    issuer: `${origin}/realms/zpe`,
    jwksUri: `${origin}/realms/zpe/protocol/openid-connect/certs`,
    requests: [],
    discovery: {},
    sign(key, claims = {}) {
      return new SignJWT({ sub: 'user_oidc', email: 'grace@example.com', ...claims })
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
        .setIssuer(provider.issuer)
        .setAudience('zpe-api')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(key.privateKey);
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
  return provider;
}

let rsa: SigningKey;
let ed: SigningKey;
let idp: OidcProvider;

beforeAll(async () => {
  [rsa, ed] = await Promise.all([signingKey('RS256', 'rsa-1'), signingKey('EdDSA', 'ed-1')]);
  idp = await startOidcProvider([rsa, ed]);
});

afterEach(() => {
  idp.requests.length = 0;
  idp.discovery = {};
});

afterAll(async () => {
  await idp?.close();
});

function authenticator(env: Record<string, string>, options: UserAuthenticatorOptions = {}) {
  return createUserAuthenticator(loadConfig(env).auth, { refetchCooldownMs: 0, ...options });
}

describe('keys found through OIDC discovery', () => {
  it('verifies tokens of an issuer with a path, named with the vendor-neutral AUTH_ISSUER / AUTH_AUDIENCE', async () => {
    const auth = authenticator({ AUTH_MODE: 'jwt', AUTH_ISSUER: idp.issuer, AUTH_AUDIENCE: 'zpe-api' });
    for (const key of [rsa, ed]) {
      const got = await read(answer(auth, withBearer(await idp.sign(key))));
      expect(got).toMatchObject({ status: 200, body: { id: 'user_oidc', email: 'grace@example.com' } });
    }
    // Discovered once, keys read once, from the URL the discovery document named.
    expect(idp.requests).toEqual([
      '/realms/zpe/.well-known/openid-configuration',
      '/realms/zpe/protocol/openid-connect/certs',
    ]);
  });

  it('still checks the audience it was given', async () => {
    const auth = authenticator({ AUTH_ISSUER: idp.issuer, AUTH_AUDIENCE: 'another-api' });
    const got = await read(answer(auth, withBearer(await idp.sign(rsa))));
    expect(got).toMatchObject({ status: 401, body: { error: { message: 'invalid token: wrong audience' } } });
  });

  it('uses AUTH_JWKS_URL as it is, without discovery', async () => {
    const auth = authenticator({ AUTH_ISSUER: idp.issuer, AUTH_JWKS_URL: `${idp.origin}/keys/static.json` });
    expect((await read(answer(auth, withBearer(await idp.sign(rsa))))).status).toBe(200);
    expect(idp.requests).toEqual(['/keys/static.json']);
  });

  it('keeps the AUTH_CLERK_* names working, discovery included', async () => {
    const auth = authenticator({ AUTH_MODE: 'clerk', AUTH_CLERK_ISSUER: idp.issuer, AUTH_CLERK_AUDIENCE: 'zpe-api' });
    expect((await read(answer(auth, withBearer(await idp.sign(rsa))))).status).toBe(200);
    expect(idp.requests[0]).toBe('/realms/zpe/.well-known/openid-configuration');
  });

  it('refuses a discovery document written for another issuer, and reads no keys', async () => {
    idp.discovery = { fields: { issuer: 'https://evil.example' } };
    const lines: string[] = [];
    const auth = authenticator({ AUTH_ISSUER: idp.issuer }, { logger: jsonLogger('info', (l) => lines.push(l)) });
    const got = await read(answer(auth, withBearer(await idp.sign(rsa))));
    expect(got).toMatchObject({
      status: 503,
      body: { error: { code: 'service_unavailable', message: 'identity provider unavailable' } },
    });
    expect(idp.requests).toEqual(['/realms/zpe/.well-known/openid-configuration']);
    expect(lines.join('\n')).toContain("OIDC discovery document is for issuer 'https://evil.example'");
  });

  it('answers 503 while discovery fails, and recovers when it is back', async () => {
    idp.discovery = { status: 500 };
    const auth = authenticator({ AUTH_ISSUER: idp.issuer });
    const token = await idp.sign(rsa);
    expect((await read(answer(auth, withBearer(token)))).status).toBe(503);
    idp.discovery = {};
    expect((await read(answer(auth, withBearer(token)))).status).toBe(200);
  });

  it('refuses a jwks_uri that is not a URL', async () => {
    idp.discovery = { fields: { jwks_uri: 'not a url' } };
    const auth = authenticator({ AUTH_ISSUER: idp.issuer });
    expect((await read(answer(auth, withBearer(await idp.sign(rsa))))).status).toBe(503);
  });

  it('names a bad AUTH_JWKS_URL at start', () => {
    expect(() => loadConfig({ AUTH_ISSUER: idp.issuer, AUTH_JWKS_URL: 'ftp://keys' })).toThrow(
      /AUTH_JWKS_URL: expected a https: or http: URL/,
    );
  });
});

describe('the gateway with an OIDC issuer', () => {
  let redis: PrivateRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('serves the built-in legacy to a user whose token the discovered keys verify', async () => {
    const gateway = await startGateway({
      ZPE_REDIS_URL: redis.url,
      AUTH_MODE: 'jwt',
      AUTH_ISSUER: idp.issuer,
      AUTH_AUDIENCE: 'zpe-api',
    });
    try {
      const token = await idp.sign(ed, { sub: 'user_grace' });
      const targets = await gateway.fetch('/api/zpe/targets', { headers: { authorization: `Bearer ${token}` } });
      expect(targets.status).toBe(200);
      expect(await targets.json()).toMatchObject({ targets: [], active_target_id: null });
      const anonymous = await gateway.fetch('/api/zpe/targets', { user: 'user_grace' });
      expect(anonymous.status).toBe(401);
    } finally {
      await gateway.close();
    }
  });
});

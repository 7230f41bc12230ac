import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdentityProvider, type SigningKey, signingKey, startIdentityProvider } from './identity-provider.js';

// workerd has Web Crypto and fetch but no node: modules; this proves the identity code needs nothing else.
let idp: IdentityProvider;
let rsa: SigningKey;
let ed: SigningKey;
let mf: Miniflare;

beforeAll(async () => {
  [rsa, ed] = await Promise.all([signingKey('RS512', 'kid-rs'), signingKey('EdDSA', 'kid-ed')]);
  idp = await startIdentityProvider([rsa, ed]);
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('./workers-entry.ts', import.meta.url))],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    conditions: ['workerd', 'worker', 'browser'],
  });
  mf = new Miniflare({
    modules: true,
    script: bundle.outputFiles[0]!.text,
    compatibilityDate: '2026-04-01',
    bindings: { AUTH_MODE: 'clerk', AUTH_CLERK_ISSUER: idp.issuer, ZPE_ADMIN_TOKEN: 'op-token' },
  });
  await mf.ready;
});
afterAll(async () => {
  await mf?.dispose();
  await idp?.close();
});

async function call(path: string, authorization?: string) {
  const response = await mf.dispatchFetch(`http://worker.test${path}`, {
    headers: authorization ? { authorization } : {},
  });
  return { status: response.status, body: await response.json() };
}

describe('identity on Cloudflare Workers (workerd)', () => {
  it('verifies RS512 and EdDSA tokens against the JWKS, fetching it once per isolate', async () => {
    expect(await call('/', `Bearer ${await idp.sign(rsa, { sub: 'rs' })}`)).toEqual({
      status: 200,
      body: { id: 'rs', email: 'ada@example.com' },
    });
    expect(await call('/', `Bearer ${await idp.sign(ed, { sub: 'ed' })}`)).toMatchObject({ body: { id: 'ed' } });
    expect(idp.jwksRequests).toBe(1);
  });

  it('refuses a bad signature with 401', async () => {
    const impostor = await signingKey('EdDSA', 'kid-ed');
    expect(await call('/', `Bearer ${await idp.sign(impostor)}`)).toEqual({
      status: 401,
      body: { error: { code: 'unauthorized', message: 'invalid token: bad signature' } },
    });
  });

  it('checks the admin token synchronously', async () => {
    expect(await call('/admin', 'Bearer op-token')).toEqual({ status: 200, body: { admin: true } });
    expect(await call('/admin', 'Bearer op-tokem')).toMatchObject({
      status: 401,
      body: { error: { message: 'invalid admin token' } },
    });
  });
});

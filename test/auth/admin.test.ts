import { describe, expect, it } from 'vitest';
import { constantTimeMatcher } from '../../src/auth/constant-time.js';
import { createAdminAuthenticator } from '../../src/auth/index.js';
import { loadConfig } from '../../src/config/env.js';
import { ApiError, errorResponse } from '../../src/http/errors.js';
import { read } from './identity-provider.js';

const TOKEN = 'op-7f3c9a1e5b2d4c6f8a0b';

const request = (authorization?: string) =>
  new Request('http://gateway.test/api/zpe/admin/ops', authorization ? { headers: { authorization } } : {});

/** What the caller of an admin operation sees. */
async function adminAnswer(adminToken: string | undefined, req: Request) {
  const admin = createAdminAuthenticator(adminToken);
  try {
    admin.require(req);
    return read(Response.json({ ok: true }));
  } catch (error) {
    if (error instanceof ApiError) return read(errorResponse(error));
    throw error;
  }
}

describe('admin token', () => {
  it('lets the configured token in, whatever the case of the Bearer scheme', async () => {
    const admin = createAdminAuthenticator(loadConfig({ ZPE_ADMIN_TOKEN: TOKEN, AUTH_MODE: 'dev-bypass' }).adminToken);
    for (const header of [`Bearer ${TOKEN}`, `bearer ${TOKEN}`, `Bearer   ${TOKEN}  `]) {
      expect(admin.isAdmin(request(header))).toBe(true);
      expect(() => admin.require(request(header))).not.toThrow();
    }
  });

  it('answers 401 without a bearer token', async () => {
    const expected = { status: 401, body: { error: { code: 'unauthorized', message: 'missing admin token' } } };
    expect(await adminAnswer(TOKEN, request())).toMatchObject(expected);
    expect(await adminAnswer(TOKEN, request(`Basic ${btoa(`admin:${TOKEN}`)}`))).toMatchObject(expected);
    expect(createAdminAuthenticator(TOKEN).isAdmin(request())).toBe(false);
  });

  it.each([
    ['one character off', `${TOKEN.slice(0, -1)}c`],
    ['a prefix', TOKEN.slice(0, 10)],
    ['longer', `${TOKEN}0`],
    ['another case', TOKEN.toUpperCase()],
    ['a single character', 'Q'],
  ])('answers 401 for a wrong token (%s), without echoing it', async (_, wrong) => {
    const got = await adminAnswer(TOKEN, request(`Bearer ${wrong}`));
    expect(got).toMatchObject({
      status: 401,
      body: { error: { code: 'unauthorized', message: 'invalid admin token' } },
    });
    expect(got.text).not.toContain(wrong);
    expect(createAdminAuthenticator(TOKEN).isAdmin(request(`Bearer ${wrong}`))).toBe(false);
  });

  it('refuses every admin operation with 403 when no token is configured, never opening up', async () => {
    const { adminToken } = loadConfig({ AUTH_MODE: 'dev-bypass', ZPE_ADMIN_TOKEN: '  ' });
    expect(adminToken).toBeUndefined();
    const expected = {
      status: 403,
      body: { error: { code: 'forbidden', message: 'admin operations disabled: no ZPE_ADMIN_TOKEN configured' } },
    };
    for (const header of [undefined, 'Bearer ', 'Bearer undefined', `Bearer ${TOKEN}`]) {
      expect(await adminAnswer(adminToken, request(header))).toMatchObject(expected);
      expect(createAdminAuthenticator(adminToken).isAdmin(request(header))).toBe(false);
    }
    expect(await adminAnswer('', request('Bearer '))).toMatchObject(expected);
  });
});

describe('constantTimeMatcher', () => {
  it('matches only the exact secret, multi-byte characters included', () => {
    const matches = constantTimeMatcher('pässwörd-🔑');
    expect(matches('pässwörd-🔑')).toBe(true);
    expect(matches('passwSrd-🔑')).toBe(false);
    expect(matches('pässwörd-')).toBe(false);
    expect(matches('pässwörd-🔑🔑')).toBe(false);
    expect(matches('')).toBe(false);
  });

  it('does not mistake a repetition of a short candidate for the secret', () => {
    // The loop indexes the candidate modulo its length; equal lengths are still required.
    expect(constantTimeMatcher('abab')('ab')).toBe(false);
    expect(constantTimeMatcher('aaaa')('a')).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { createUserAuthenticator } from '../../src/auth/index.js';
import { loadConfig } from '../../src/config/env.js';
import { answer, read } from './identity-provider.js';

function devBypass(env: Record<string, string> = {}) {
  return createUserAuthenticator(loadConfig({ AUTH_MODE: 'dev-bypass', ...env }).auth);
}

const request = (headers: Record<string, string>) => new Request('http://gateway.test/api/zpe/jobs', { headers });

describe('AUTH_MODE=dev-bypass', () => {
  it('takes the user from X-Dev-User-Id and X-Dev-User-Email', async () => {
    const got = await read(
      answer(devBypass(), request({ 'X-Dev-User-Id': 'user_42', 'X-Dev-User-Email': 'ada@example.com' })),
    );
    expect(got).toEqual({ status: 200, body: { id: 'user_42', email: 'ada@example.com' }, text: expect.any(String) });
  });

  it('leaves the email out when its header is absent or blank', async () => {
    expect((await read(answer(devBypass(), request({ 'x-dev-user-id': 'u' })))).body).toEqual({ id: 'u' });
    const blank = request({ 'x-dev-user-id': 'u', 'x-dev-user-email': '  ' });
    expect((await read(answer(devBypass(), blank))).body).toEqual({ id: 'u' });
  });

  it('answers 401 naming the header when the user id is missing or blank', async () => {
    const expected = {
      status: 401,
      body: { error: { code: 'unauthorized', message: 'missing X-Dev-User-Id header' } },
    };
    expect(await read(answer(devBypass(), request({})))).toMatchObject(expected);
    expect(await read(answer(devBypass(), request({ 'X-Dev-User-Id': ' ' })))).toMatchObject(expected);
  });

  it('does not accept a bearer token in place of the header', async () => {
    const got = await read(answer(devBypass(), request({ authorization: 'Bearer eyJhbGciOi.x.y' })));
    expect(got.status).toBe(401);
  });

  it('reads configured header names, and only those', async () => {
    const auth = devBypass({
      AUTH_DEV_BYPASS_USER_ID_HEADER: 'X-Test-User',
      AUTH_DEV_BYPASS_EMAIL_HEADER: 'X-Test-Mail',
    });
    const got = await read(answer(auth, request({ 'x-test-user': 'tester', 'x-test-mail': 'qa@example.com' })));
    expect(got.body).toEqual({ id: 'tester', email: 'qa@example.com' });
    expect(await read(answer(auth, request({ 'X-Dev-User-Id': 'user_42' })))).toMatchObject({
      status: 401,
      body: { error: { message: 'missing X-Test-User header' } },
    });
  });

  it('applies AUTH_ALLOWED_EMAILS, case-insensitively', async () => {
    const auth = devBypass({ AUTH_ALLOWED_EMAILS: 'ada@example.com' });
    const listed = request({ 'x-dev-user-id': 'u', 'x-dev-user-email': 'ADA@example.COM' });
    expect((await read(answer(auth, listed))).status).toBe(200);
    const other = request({ 'x-dev-user-id': 'u', 'x-dev-user-email': 'eve@example.com' });
    expect(await read(answer(auth, other))).toMatchObject({
      status: 403,
      body: { error: { code: 'forbidden', message: 'email not allowed' } },
    });
    expect((await read(answer(auth, request({ 'x-dev-user-id': 'u' })))).status).toBe(403);
  });
});

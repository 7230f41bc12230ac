import { constantTimeMatcher } from '../auth/constant-time.js';

/** The operator page's session cookie: scoped to the page, invisible to scripts, never sent cross-site. */
export const SESSION_COOKIE = 'zpe_operator';
export const SESSION_SECONDS = 8 * 3600;

const encoder = new TextEncoder();

function hex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Sessions that need no storage and hold no secret: `<expiry>.<HMAC-SHA256(admin token, expiry)>`. Every
 * instance with the same ZPE_ADMIN_TOKEN accepts them, and changing the token ends them all. The cookie
 * only lets the page be read; a flag change needs the admin token itself.
 */
export function operatorSessions(adminToken: string, now: () => number = Date.now) {
  const key = crypto.subtle.importKey('raw', encoder.encode(adminToken), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const sign = async (expiry: number) =>
    hex(await crypto.subtle.sign('HMAC', await key, encoder.encode(`zpe-operator-session:${expiry}`)));
  return {
    async issue(): Promise<string> {
      const expiry = Math.floor(now() / 1000) + SESSION_SECONDS;
      return `${expiry}.${await sign(expiry)}`;
    },
    async valid(value: string | undefined): Promise<boolean> {
      const match = value ? /^(\d{1,12})\.([0-9a-f]{64})$/.exec(value) : null;
      if (!match) return false;
      const expiry = Number(match[1]);
      if (expiry * 1000 <= now()) return false;
      return constantTimeMatcher(await sign(expiry))(match[2] as string);
    },
  };
}

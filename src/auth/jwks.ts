import { importJWK, type JWK } from 'jose';
import type { Logger } from '../observability/log.js';

/** The JWKS could not be read (network, status, or body): the issuer is unavailable, not the token invalid. */
export class JwksUnavailableError extends Error {
  override name = 'JwksUnavailableError';
}

/** No key in the JWKS can verify this token; the message is a short reason safe to show the caller. */
export class SigningKeyNotFoundError extends Error {
  override name = 'SigningKeyNotFoundError';
}

export interface JwksKeyStoreOptions {
  /** The JWKS URL, or how to find it (OIDC discovery, see jwksLocation); asked again after a JWKS fetch fails. */
  url: string | JwksLocation;
  fetch: typeof fetch;
  cacheTtlMs: number;
  refetchCooldownMs: number;
  fetchTimeoutMs: number;
  logger?: Logger | undefined;
}

interface KeySet {
  keys: JWK[];
  fetchedAt: number;
}

/** The key families each allowed algorithm verifies with. */
const KEY_TYPE: Record<string, { kty: string; crv?: string }> = {
  RS256: { kty: 'RSA' },
  RS384: { kty: 'RSA' },
  RS512: { kty: 'RSA' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
};

function usableFor(jwk: JWK, alg: string): boolean {
  const family = KEY_TYPE[alg];
  if (!family || jwk.kty !== family.kty) return false;
  if (family.crv !== undefined && jwk.crv !== family.crv) return false;
  if (jwk.alg !== undefined && jwk.alg !== alg) return false;
  if (jwk.use !== undefined && jwk.use !== 'sig') return false;
  if (jwk.key_ops !== undefined && !jwk.key_ops.includes('verify')) return false;
  return true;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Finds the JWKS URL; `forget()` drops what it found, so the next call looks again. */
export interface JwksLocation {
  (): Promise<string>;
  forget(): void;
}

export interface JwksLocationOptions {
  /** The token issuer (`iss`), e.g. `https://login.example.com/realms/zpe`. */
  issuer: string;
  /** AUTH_JWKS_URL: when set, used as it is and nothing is discovered. */
  jwksUrl?: string | undefined;
  fetch: typeof fetch;
  fetchTimeoutMs: number;
  logger?: Logger | undefined;
}

/**
 * Where an issuer publishes its signing keys: AUTH_JWKS_URL when configured; otherwise OpenID
 * Connect discovery (`{issuer}/.well-known/openid-configuration`, its `jwks_uri`), which every
 * OIDC provider serves (Keycloak, Auth0, Okta, Entra ID, Google, Clerk...). An issuer without a
 * discovery document (404) falls back to `{issuer}/.well-known/jwks.json`, the URL the gateway
 * used before. A discovery document for another issuer is refused (OIDC Discovery §4.3).
 */
export function jwksLocation(options: JwksLocationOptions): JwksLocation {
  const issuer = options.issuer.replace(/\/+$/, '');
  let found: string | undefined;
  const locate = async (): Promise<string> => {
    if (options.jwksUrl) return options.jwksUrl;
    if (found) return found;
    const discovery = `${issuer}/.well-known/openid-configuration`;
    let response: Response;
    try {
      response = await options.fetch(discovery, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(options.fetchTimeoutMs),
      });
    } catch (error) {
      throw new JwksUnavailableError(
        `OIDC discovery failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (response.status === 404) {
      await response.body?.cancel();
      found = `${issuer}/.well-known/jwks.json`;
      options.logger?.debug('oidc discovery: no discovery document, using the conventional JWKS URL', {
        issuer,
        jwks_url: found,
      });
      return found;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new JwksUnavailableError(`OIDC discovery answered HTTP ${response.status}`);
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      throw new JwksUnavailableError('OIDC discovery document is not JSON');
    }
    if (!isObject(body) || typeof body.jwks_uri !== 'string') {
      throw new JwksUnavailableError('OIDC discovery document has no "jwks_uri"');
    }
    const named = typeof body.issuer === 'string' ? body.issuer.replace(/\/+$/, '') : undefined;
    if (named !== issuer) {
      throw new JwksUnavailableError(`OIDC discovery document is for issuer '${String(body.issuer)}', not '${issuer}'`);
    }
    let jwksUri: URL;
    try {
      jwksUri = new URL(body.jwks_uri);
    } catch {
      throw new JwksUnavailableError('OIDC discovery "jwks_uri" is not a URL');
    }
    // Keys over plain HTTP only from an issuer that is itself plain HTTP (a local or test IdP).
    if (jwksUri.protocol !== 'https:' && !(jwksUri.protocol === 'http:' && issuer.startsWith('http:'))) {
      throw new JwksUnavailableError('OIDC discovery "jwks_uri" is not an https URL');
    }
    found = jwksUri.href;
    options.logger?.debug('oidc discovery', { issuer, jwks_url: found });
    return found;
  };
  return Object.assign(locate, {
    forget() {
      found = undefined;
    },
  });
}

/**
 * Signing keys from a JWKS URL, cached for `cacheTtlMs`. A token naming an unknown `kid` triggers one refetch
 * (key rotation), at most once per `refetchCooldownMs` so forged kids cannot flood the issuer. Concurrent
 * lookups share one fetch. When a refresh fails, the last keys read keep serving: an issuer outage should not
 * sign everyone out while their tokens remain verifiable. Web Crypto only, so it runs on Node and Workers.
 */
export function createJwksKeyStore(options: JwksKeyStoreOptions) {
  let current: KeySet | undefined;
  let inflight: Promise<KeySet> | undefined;
  let lastAttemptAt = Number.NEGATIVE_INFINITY;
  const imported = new WeakMap<JWK, Map<string, Promise<CryptoKey>>>();

  const location = typeof options.url === 'string' ? undefined : options.url;
  let lastUrl = typeof options.url === 'string' ? options.url : undefined;

  async function download(): Promise<KeySet> {
    const url = location ? await location() : (lastUrl as string);
    lastUrl = url;
    let response: Response;
    try {
      response = await options.fetch(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(options.fetchTimeoutMs),
      });
    } catch (error) {
      throw new JwksUnavailableError(`JWKS fetch failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!response.ok) {
      await response.body?.cancel();
      // The keys may have moved: look for them again next time.
      location?.forget();
      throw new JwksUnavailableError(`JWKS answered HTTP ${response.status}`);
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      throw new JwksUnavailableError('JWKS body is not JSON');
    }
    if (!isObject(body) || !Array.isArray(body.keys)) throw new JwksUnavailableError('JWKS body has no "keys" array');
    return { keys: body.keys.filter(isObject) as JWK[], fetchedAt: Date.now() };
  }

  /** Fetches the set unless one was attempted within the cooldown; joins a fetch already under way. */
  async function refresh(): Promise<KeySet | undefined> {
    if (inflight) return inflight.catch(() => current);
    // With no keys at all every request fails anyway, so retry sooner to recover quickly from an outage.
    const cooldown = current ? options.refetchCooldownMs : Math.min(options.refetchCooldownMs, 1000);
    if (Date.now() - lastAttemptAt < cooldown) return current;
    lastAttemptAt = Date.now();
    inflight = download();
    try {
      current = await inflight;
      return current;
    } catch (error) {
      options.logger?.warn('jwks refresh failed', {
        url: lastUrl,
        reason: error instanceof Error ? error.message : String(error),
        serving_cached_keys: current !== undefined,
      });
      if (current) return current;
      throw error;
    } finally {
      inflight = undefined;
    }
  }

  async function keySet(): Promise<KeySet> {
    const fresh = current !== undefined && Date.now() - current.fetchedAt < options.cacheTtlMs;
    const set = fresh ? current : await refresh();
    if (!set) throw new JwksUnavailableError('JWKS not loaded yet (last attempt failed; retrying after the cooldown)');
    return set;
  }

  function candidates(set: KeySet, alg: string, kid: string | undefined): JWK[] {
    return set.keys.filter((jwk) => (kid === undefined || jwk.kid === kid) && usableFor(jwk, alg));
  }

  function importKey(jwk: JWK, alg: string): Promise<CryptoKey> {
    let byAlg = imported.get(jwk);
    if (!byAlg) {
      byAlg = new Map();
      imported.set(jwk, byAlg);
    }
    let key = byAlg.get(alg);
    if (!key) {
      key = importJWK(jwk, alg).then((k) => {
        if (k instanceof Uint8Array) throw new SigningKeyNotFoundError('signing key is not an asymmetric key');
        return k;
      });
      // A key that fails to import stays failed for this set; the next set gets a fresh attempt.
      byAlg.set(alg, key);
    }
    return key;
  }

  return {
    /** The verification key for a token's protected header, or a thrown reason. */
    async getKey(header: { alg?: string; kid?: string }): Promise<CryptoKey> {
      const alg = header.alg ?? '';
      const kid = typeof header.kid === 'string' ? header.kid : undefined;
      let set = await keySet();
      let found = candidates(set, alg, kid);
      if (found.length === 0 && (kid === undefined || !set.keys.some((jwk) => jwk.kid === kid))) {
        set = (await refresh()) ?? set;
        found = candidates(set, alg, kid);
      }
      if (found.length === 0) {
        const known = kid !== undefined && set.keys.some((jwk) => jwk.kid === kid);
        throw new SigningKeyNotFoundError(
          known ? 'signing key does not match alg' : kid === undefined ? 'no signing key for alg' : 'unknown kid',
        );
      }
      if (found.length > 1) throw new SigningKeyNotFoundError('no kid and several keys match');
      try {
        return await importKey(found[0]!, alg);
      } catch (error) {
        if (error instanceof SigningKeyNotFoundError) throw error;
        throw new SigningKeyNotFoundError('signing key cannot be imported');
      }
    },
  };
}

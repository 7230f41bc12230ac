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
  url: string;
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

  async function download(): Promise<KeySet> {
    let response: Response;
    try {
      response = await options.fetch(options.url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(options.fetchTimeoutMs),
      });
    } catch (error) {
      throw new JwksUnavailableError(`JWKS fetch failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!response.ok) {
      await response.body?.cancel();
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
        url: options.url,
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

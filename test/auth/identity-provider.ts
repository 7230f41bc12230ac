import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import type { UserAuthenticator } from '../../src/auth/index.js';
import { ApiError, errorResponse } from '../../src/http/errors.js';

export type SigningAlg = 'RS256' | 'RS384' | 'RS512' | 'EdDSA';

export interface SigningKey {
  alg: SigningAlg;
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function signingKey(alg: SigningAlg, kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { alg, kid, privateKey, publicJwk };
}

/**
 * A real identity provider on 127.0.0.1: serves `{issuer}/.well-known/jwks.json` over HTTP, counts how often
 * it is read, and can rotate keys or fail on demand.
 */
export interface IdentityProvider {
  issuer: string;
  jwksRequests: number;
  /** The public keys currently published. */
  publish(keys: SigningKey[]): void;
  /** 'ok' serves the JWKS; 'error' answers 500; 'garbage' answers 200 with HTML; 'reset' drops the connection. */
  mode: 'ok' | 'error' | 'garbage' | 'reset';
  sign(key: SigningKey, claims?: JWTPayload, edit?: (jwt: SignJWT) => SignJWT): Promise<string>;
  close(): Promise<void>;
}

export async function startIdentityProvider(keys: SigningKey[]): Promise<IdentityProvider> {
  let published = keys;
  const server: Server = createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    provider.jwksRequests++;
    if (provider.mode === 'reset') {
      req.socket.destroy();
      return;
    }
    if (provider.mode === 'error') {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('boom');
      return;
    }
    if (provider.mode === 'garbage') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: published.map((k) => k.publicJwk) }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const provider: IdentityProvider = {
    issuer,
    jwksRequests: 0,
    mode: 'ok',
    publish(next) {
      published = next;
    },
    async sign(key, claims = {}, edit = (jwt) => jwt) {
      const jwt = new SignJWT({ sub: 'user_1', email: 'ada@example.com', ...claims })
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
        .setIssuer(issuer)
        .setIssuedAt()
        .setExpirationTime('5m');
      return edit(jwt).sign(key.privateKey);
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
  return provider;
}

/** A request carrying `Authorization: Bearer <token>`. */
export function withBearer(token: string): Request {
  return new Request('http://gateway.test/api/zpe/jobs', { headers: { authorization: `Bearer ${token}` } });
}

/**
 * What a client sees: the user as JSON on success, the error envelope otherwise, the way the gateway answers
 * an ApiError thrown below a handler.
 */
export async function answer(authenticator: UserAuthenticator, request: Request): Promise<Response> {
  try {
    return Response.json(await authenticator.authenticate(request));
  } catch (error) {
    if (error instanceof ApiError) return errorResponse(error);
    throw error;
  }
}

export interface Answer {
  status: number;
  body: unknown;
  text: string;
}

export async function read(response: Response | Promise<Response>): Promise<Answer> {
  const r = await response;
  const text = await r.text();
  return { status: r.status, body: JSON.parse(text), text };
}

import { type RunningGateway, startGateway } from '../support/gateway.js';
import { type PrivateRedis, startRedis } from '../support/redis-server.js';

/** What a request sends: the body as raw text or bytes, exactly; `contentType: null` sends none. */
export interface Send {
  method: string;
  path: string;
  body?: string | Uint8Array<ArrayBuffer>;
  contentType?: string | null;
  headers?: Record<string, string>;
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
  ms: number;
}

export interface Harness {
  gateway: RunningGateway;
  redis: PrivateRedis;
  send(request: Send): Promise<Reply>;
  close(): Promise<void>;
}

/** The gateway as `npm start` composes it, on a private Redis, with the built-in legacy backend only. */
export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  const redis = await startRedis();
  const gateway = await startGateway({ ZPE_REDIS_URL: redis.url, ...env });
  return {
    gateway,
    redis,
    async send({ method, path, body, contentType = 'application/json', headers = {} }) {
      const sent = new Headers(headers);
      if (contentType !== null && body !== undefined) sent.set('content-type', contentType);
      const started = performance.now();
      // fetch labels a string body text/plain; bytes go without a Content-Type.
      const payload = typeof body === 'string' && contentType === null ? new TextEncoder().encode(body) : body;
      const response = await fetch(`${gateway.origin}${path}`, { method, headers: sent, body: payload });
      const text = await response.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: response.status, headers: response.headers, text, json, ms: performance.now() - started };
    },
    async close() {
      await gateway.close();
      await redis.stop();
    },
  };
}

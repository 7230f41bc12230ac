import { type ChildProcess, fork } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateRedis, startRedis } from '../support/redis-server.js';

/** Requests in the measured phase; a leak of even 200 bytes per request would exceed the bound below. */
const REQUESTS = 20_000;
const WARMUP = 3_000;
const CONNECTIONS = 32;
/** The live heap after full GC may grow by at most this much over REQUESTS requests. */
const BOUND_BYTES = 4 * 1024 * 1024;
const BUDGET_MS = 150;

const QE = readFileSync(new URL('../legacy/samples/Si001_m8_relax_fromscratch.in', import.meta.url), 'utf8');
const SUBMISSION = JSON.stringify({ content: QE, mobile_indices: [0, 1] });
const STATUS = JSON.stringify({ status: 'finished', detail: null, updated_at: '2026-02-15T09:30:00.123456+00:00' });

let redis: PrivateRedis;
let upstream: Server;
let child: ChildProcess;
let pool: Pool;
const arrivals = new EventEmitter().setMaxListeners(0);

/** Next-gen: answers at once, except j-hang's result and the j-wait-N reads, which it announces on `arrivals`. */
function nextgen(): Server {
  return createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      // Never answered: the gateway's deadline ends the one, the client's abort the other.
      if (req.url?.endsWith('j-hang/result')) return;
      if (req.url?.includes('/j-wait-')) {
        arrivals.emit(req.url);
        return;
      }
      const body = req.method === 'POST' ? '{"id":"j-new"}' : STATUS;
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
  });
}

function heap(): Promise<number> {
  const answer = new Promise<number>((resolve) => {
    const onMessage = (m: { heap?: number }) => {
      if (m.heap === undefined) return;
      child.off('message', onMessage);
      resolve(m.heap);
    };
    child.on('message', onMessage);
  });
  child.send('heap');
  return answer;
}

/** One request of the mix: mostly GET and POST, plus timed-out calls and calls the client aborts. */
async function one(i: number): Promise<number> {
  const kind = i % 50;
  if (kind === 0) {
    const { statusCode, body } = await pool.request({
      method: 'GET',
      path: '/api/zpe/jobs/j-hang/result',
      headers: { 'x-dev-user-id': 'soak' },
    });
    await body.dump();
    return statusCode;
  }
  if (kind === 1) {
    const abort = new AbortController();
    const path = `/api/zpe/jobs/j-wait-${i}`;
    // Aborted once the upstream has the call, so the gateway has an upstream call to cancel.
    void once(arrivals, path).then(() => abort.abort());
    const pending = pool.request({ method: 'GET', path, headers: { 'x-dev-user-id': 'soak' }, signal: abort.signal });
    return pending.then(
      async ({ body }) => {
        await body.dump();
        return -1;
      },
      () => 0,
    );
  }
  const post = kind % 2 === 0;
  const { statusCode, body } = await pool.request(
    post
      ? {
          method: 'POST',
          path: '/api/zpe/jobs',
          headers: { 'x-dev-user-id': 'soak', 'content-type': 'application/json' },
          body: SUBMISSION,
        }
      : { method: 'GET', path: `/api/zpe/jobs/j-${i % 1000}`, headers: { 'x-dev-user-id': 'soak' } },
  );
  await body.dump();
  return statusCode;
}

async function load(count: number): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (next < count) {
        const status = await one(next++);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }),
  );
  return statuses;
}

beforeAll(async () => {
  redis = await startRedis();
  upstream = nextgen();
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  child = fork(new URL('./gateway-child.ts', import.meta.url).pathname, [], {
    execArgv: ['--expose-gc', '--import', 'tsx'],
    env: {
      PATH: process.env.PATH ?? '',
      AUTH_MODE: 'dev-bypass',
      ZPE_REDIS_URL: redis.url,
      ZPE_BUILTIN_LEGACY: 'false',
      ZPE_NEXTGEN_URL: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
      ZPE_CUTOVER_SUBMISSION_ROUTE: 'next-gen',
      ZPE_CUTOVER_RESULT_READ_SOURCE: 'projection',
      // Only the result reads have the short budget: the calls made to time out.
      ZPE_UPSTREAM_TIMEOUTS_MS: `getJobResult=${BUDGET_MS}`,
      ZPE_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const [ready] = (await once(child, 'message')) as [{ port: number }];
  pool = new Pool(`http://127.0.0.1:${ready.port}`, { connections: CONNECTIONS });
}, 60_000);

afterAll(async () => {
  await pool?.close();
  child?.kill('SIGKILL');
  upstream?.close();
  await redis?.stop();
});

describe('soak: the gateway under sustained load', () => {
  it(`keeps its heap after full GC within ${BOUND_BYTES / 1024 / 1024} MB over ${REQUESTS.toLocaleString('en')} requests`, async () => {
    const warm = await load(WARMUP);
    expect(Object.fromEntries(warm)).toEqual({ 0: WARMUP / 50, 200: WARMUP - (2 * WARMUP) / 50, 504: WARMUP / 50 });
    const before = await heap();

    const statuses = await load(REQUESTS);
    const after = await heap();

    // The mix really ran: answers, deadlines (504) and aborts (0: the client saw none).
    expect(Object.fromEntries(statuses)).toEqual({
      0: REQUESTS / 50,
      200: REQUESTS - (2 * REQUESTS) / 50,
      504: REQUESTS / 50,
    });
    const growth = after - before;
    console.info(
      `soak: heap ${(before / 1e6).toFixed(1)} -> ${(after / 1e6).toFixed(1)} MB after ${REQUESTS} requests (${(growth / REQUESTS).toFixed(1)} B/request)`,
    );
    expect(growth).toBeLessThan(BOUND_BYTES);
  }, 120_000);
});

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Redis } from 'ioredis';
import { createAdminAuthenticator, createUserAuthenticator } from '../../src/auth/index.js';
import type { Backend } from '../../src/backends/backend.js';
import { createLegacyRedisBackend } from '../../src/backends/legacy-redis/index.js';
import { type Config, loadConfig } from '../../src/config/env.js';
import { createGateway } from '../../src/http/app.js';
import { ApiError } from '../../src/http/errors.js';
import { jsonLogger } from '../../src/observability/log.js';
import { createRedis } from '../../src/redis/client.js';
import { createDispatch } from '../../src/routing/dispatch.js';
import { environmentFlags } from './environment-flags.js';
import { type PrivateRedis, startRedis } from './redis-server.js';

export const ADMIN_TOKEN = 'test-admin-token';

/**
 * A small pw.x input: 4 atoms, atoms 0 and 1 fixed (if_pos 0 0 0), 2 free by flags, 3 free without
 * flags.
 */
export const SMALL_INPUT = `&control
  calculation = 'relax'
/
&system
  ibrav = 0, nat = 4, ntyp = 1, ecutwfc = 30.0
/
ATOMIC_SPECIES
  Si 28.0855 Si.upf
ATOMIC_POSITIONS (angstrom)
  Si 0.0 0.0 0.0 0 0 0
  Si 1.0 1.0 1.0 0 0 0
  Si 2.0 2.0 2.0 1 1 1
  Si 3.0 3.0 3.0
K_POINTS automatic
  2 2 1 0 0 0
`;

/** A result as a worker reports it (the contract's ZPEResult). */
export const RESULT = {
  calc_type: 'qe.zpe.v1',
  freqs_cm: [120.5, 340.25],
  zpe_ev: 0.0284,
  s_vib_jmol_k: 3.1,
  mobile_indices: [2, 3],
  fixed_indices: [0, 1],
  kpoints: [2, 2, 1],
  delta: 0.01,
  low_cut_cm: 50,
  temperature: 298.15,
  use_environ: false,
  qe_input: SMALL_INPUT,
  pseudo_dir: './pseudo',
  calc_start_time: '2026-02-15T09:30:00+00:00',
  calc_end_time: '2026-02-15T09:40:00+00:00',
  elapsed_seconds: 600,
  cache_checked: 2,
  cache_deleted: 0,
};
export interface Answer<T> {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: T;
}

export interface RequestOptions {
  /** The dev-bypass user id (X-Dev-User-Id). */
  user?: string;
  /** A bearer token: worker, admin, anything. */
  bearer?: string;
  /** A JSON body (serialised), or a raw string sent as is. */
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

export type Json = Record<string, unknown>;

export interface LegacyGateway {
  origin: string;
  config: Config;
  /** The private redis-server; its port stays the gateway's Redis for the whole test file. */
  redis: PrivateRedis;
  /** The test's own client, for raw reads and writes of the layout's keys. */
  raw: Redis;
  backend: Backend;
  /** Every log line the gateway wrote. */
  logs: string[];
  /** The gateway's clock runs this many seconds ahead of the real one. */
  clock: { offsetSeconds: number };
  call<T = Json>(method: string, path: string, options?: RequestOptions): Promise<Answer<T>>;
  /** An enrollment token of `user`, or an unowned one made with the admin token. */
  enroll(user: string | { admin: true }): Promise<string>;
  /** Registers a compute server with a fresh enrollment token of `user`; answers its id and worker token. */
  registerWorker(user: string | { admin: true }, body?: Json): Promise<{ id: string; worker_token: string }>;
  submit(user: string, body?: Json): Promise<string>;
  lease(workerToken: string): Promise<Answer<Json>>;
  close(): Promise<void>;
}

/**
 * The real gateway (contract validation, flag routing) with the built-in legacy backend on a private
 * redis-server, served over HTTP on 127.0.0.1. `env` adds to and overrides the test configuration.
 */
export async function startLegacyGateway(env: Record<string, string> = {}): Promise<LegacyGateway> {
  const redis = await startRedis();
  const config = loadConfig({
    AUTH_MODE: 'dev-bypass',
    ZPE_REDIS_URL: redis.url,
    ZPE_ADMIN_TOKEN: ADMIN_TOKEN,
    ...env,
  });
  const logs: string[] = [];
  const logger = jsonLogger('debug', (line) => logs.push(line));
  const gatewayRedis = createRedis(config.redisUrl, config.redisTimeoutMs);
  gatewayRedis.on('error', () => {});
  const clock = { offsetSeconds: 0 };
  const backend = createLegacyRedisBackend({
    redis: gatewayRedis,
    config,
    users: createUserAuthenticator(config.auth),
    admin: createAdminAuthenticator(config.adminToken),
    logger,
    now: () => Date.now() + clock.offsetSeconds * 1000,
  });
  const dispatch = createDispatch({
    backends: { legacy: backend },
    flags: environmentFlags(config),
    gateway: async () => {
      throw new ApiError(503, 'n/a');
    },
  });
  const app = createGateway({ dispatch, logger, maxBodyBytes: config.maxBodyBytes });
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const raw = redis.client();

  const call = async <T = Json>(method: string, path: string, options: RequestOptions = {}): Promise<Answer<T>> => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.user !== undefined) headers['x-dev-user-id'] = options.user;
    if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`;
    let body: string | undefined = options.raw;
    if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${origin}${path}`, { method, headers, body });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json: json as T };
  };

  const expectOk = <T>(answer: Answer<T>, what: string): T => {
    if (answer.status !== 200) throw new Error(`${what}: ${answer.status} ${answer.text}`);
    return answer.json;
  };

  const enroll = async (user: string | { admin: true }) => {
    const who = typeof user === 'string' ? { user } : { bearer: ADMIN_TOKEN };
    const answer = await call<{ token: string }>('POST', '/api/zpe/compute/enroll-tokens', { ...who, body: {} });
    return expectOk(answer, 'enroll').token;
  };

  return {
    origin,
    config,
    redis,
    raw,
    backend,
    logs,
    clock,
    call,
    enroll,
    async registerWorker(user, body = {}) {
      const token = await enroll(user);
      const answer = await call<{ id: string; worker_token: string }>('POST', '/api/zpe/compute/servers', {
        body: { token, name: 'worker', ...body },
      });
      return expectOk(answer, 'register');
    },
    async submit(user, body = {}) {
      const answer = await call<{ id: string }>('POST', '/api/zpe/jobs', {
        user,
        body: { content: SMALL_INPUT, mobile_indices: [2, 3], ...body },
      });
      return expectOk(answer, 'submit').id;
    },
    lease: (workerToken) => call('POST', '/api/zpe/compute/jobs/lease', { bearer: workerToken }),
    async close() {
      if ('closeAllConnections' in server) server.closeAllConnections();
      server.close();
      await once(server, 'close');
      await backend.close();
      gatewayRedis.disconnect();
      await redis.stop();
    },
  };
}

/**
 * Enqueues `count` jobs of `owner` straight into Redis, the way the legacy control plane does (payload,
 * queue, status, owner; no meta), in one pipeline: for tests and benchmarks that need many jobs fast.
 */
export async function enqueueRaw(raw: Redis, owner: string, count: number, prefix = 'http-'): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `${prefix}${i.toString(16).padStart(32, '0')}`);
  const payload = JSON.stringify({
    calc_type: 'qe.zpe.v1',
    content: SMALL_INPUT,
    mobile_indices: [2, 3],
    use_environ: false,
    input_dir: null,
    calc_mode: 'continue',
    structure_id: null,
  });
  const now = new Date().toISOString().replace('Z', '000+00:00');
  const pipeline = raw.pipeline();
  for (const id of ids) {
    pipeline.set(`zpe:payload:${id}`, payload, 'EX', 604800);
    pipeline.lpush('zpe:queue', id);
    pipeline.hset(`zpe:status:${id}`, 'status', 'queued', 'detail', '', 'updated_at', now);
    pipeline.set(`zpe:job:owner:${id}`, owner, 'EX', 604800);
  }
  await pipeline.exec();
  return ids;
}

/**
 * Every key with its type, TTL presence and DUMP, for "Redis unchanged" checks. TTLs are compared as
 * present or not: their remaining seconds move with time.
 */
export async function snapshot(raw: Redis): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const key of (await raw.keys('*')).sort()) {
    const [dump, ttl] = await Promise.all([raw.dumpBuffer(key), raw.pttl(key)]);
    // A key that expired between KEYS and DUMP is gone, not changed (a one-second enrollment token
    // made by an earlier request once showed up here as "changed").
    if (dump === null || ttl === -2) continue;
    out.set(key, `${ttl >= 0 ? 'ttl' : 'persistent'} ${dump.toString('base64')}`);
  }
  return out;
}

/** A redis-server on a given port (the port of one that was stopped), to bring "the same Redis" back. */
export async function startRedisOnPort(port: number): Promise<{ stop(): Promise<void> }> {
  const proc: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
    { stdio: 'ignore' },
  );
  return {
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await once(proc, 'exit');
      }
    },
  };
}

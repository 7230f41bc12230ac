import { once } from 'node:events';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { serve } from '@hono/node-server';
import { createAdminAuthenticator, createUserAuthenticator } from '../../src/auth/index.js';
import { createLegacyRedisBackend } from '../../src/backends/legacy-redis/index.js';
import { runRetire } from '../../src/cli/retire.js';
import { PACKAGE_ROOT } from '../../src/cli/workspace.js';
import { loadConfig } from '../../src/config/env.js';
import { OPERATIONS, type Operation, type OperationId, operationId } from '../../src/contract/operations.js';
import { runContractDiff } from '../../src/contract-diff/cli.js';
import { redisFlagStorage } from '../../src/flags/redis-storage.js';
import { assembleGateway } from '../../src/gateway.js';
import { legacyWorkerLabel, redisCallerStore } from '../../src/lifecycle/callers-redis.js';
import { MANIFEST_PATH, parseManifest, type RetirementManifest } from '../../src/lifecycle/manifest.js';
import { jsonLogger } from '../../src/observability/log.js';
import { createRedis } from '../../src/redis/client.js';
import { freePort, type PrivateRedis } from '../support/redis-server.js';

export const ADMIN_TOKEN = 'retirement-admin-token';

export interface Answer {
  status: number;
  headers: Headers;
  json: { error?: { code: string; message: string; details?: Record<string, unknown> } } & Record<string, unknown>;
}

export interface CallOptions {
  user?: string;
  bearer?: string;
  body?: unknown;
}

export interface RetirementGateway {
  origin: string;
  call(method: string, path: string, options?: CallOptions): Promise<Answer>;
  /** One request that reaches `operation`: its path with made-up ids, an empty JSON body when it takes one. */
  callOperation(operation: Operation, options?: CallOptions): Promise<Answer>;
  close(): Promise<void>;
}

/**
 * The gateway as assembled on every runtime (assembleGateway), with the built-in legacy backend, flags and
 * caller counts on the private Redis, and the retirement manifest given; served over HTTP on 127.0.0.1.
 */
export async function startRetirementGateway(
  redis: PrivateRedis,
  options: { manifest?: RetirementManifest; env?: Record<string, string> } = {},
): Promise<RetirementGateway> {
  const config = loadConfig({
    AUTH_MODE: 'dev-bypass',
    ZPE_REDIS_URL: redis.url,
    ZPE_ADMIN_TOKEN: ADMIN_TOKEN,
    ZPE_REDIS_TIMEOUT_MS: '1000',
    ...options.env,
  });
  const logger = jsonLogger('silent');
  const client = createRedis(config.redisUrl, config.redisTimeoutMs);
  client.on('error', () => {});
  const admin = createAdminAuthenticator(config.adminToken);
  const gateway = await assembleGateway({
    config,
    logger,
    admin,
    backends: {
      legacy: createLegacyRedisBackend({
        redis: client,
        config,
        users: createUserAuthenticator(config.auth),
        admin,
        logger,
      }),
    },
    flagStorage: redisFlagStorage(client),
    lifecycle: {
      manifest: options.manifest,
      callerStore: redisCallerStore(client),
      workerLabel: legacyWorkerLabel(client),
    },
  });
  const server = serve({ fetch: gateway.app.fetch, port: 0, hostname: '127.0.0.1' });
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const call = async (method: string, path: string, o: CallOptions = {}): Promise<Answer> => {
    const headers: Record<string, string> = {};
    if (o.user) headers['x-dev-user-id'] = o.user;
    if (o.bearer) headers.authorization = `Bearer ${o.bearer}`;
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${origin}${path}`, {
      method,
      headers,
      body: o.body === undefined ? undefined : JSON.stringify(o.body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : {} };
  };

  return {
    origin,
    call,
    callOperation: (operation, o = {}) =>
      call(operation.method.toUpperCase(), samplePath(operation), {
        ...o,
        body: o.body ?? (operation.request?.body ? {} : undefined),
      }),
    async close() {
      if ('closeAllConnections' in server) server.closeAllConnections();
      server.close();
      await once(server, 'close');
      await gateway.close();
      client.disconnect();
    },
  };
}

export function samplePath(operation: Operation): string {
  return operation.path.replace(/\{([^}]+)\}/g, (_, name: string) => `sample-${name.replace(/_/g, '-')}`);
}

export function operation(id: OperationId): Operation {
  const found = OPERATIONS.find((op) => operationId(op) === id);
  if (!found) throw new Error(`no operation ${id}`);
  return found;
}

export interface Repo {
  root: string;
  manifestPath: string;
  manifest(): RetirementManifest;
  read(path: string): string;
  remove(path: string): void;
  cleanup(): void;
}

/**
 * A temporary copy of what the retirement commands touch: the manifest, the contract artifacts and every
 * module an item lists, at the same paths as in the repository.
 */
export function copyRepo(): Repo {
  const root = mkdtempSync(join(tmpdir(), 'zpe-retire-'));
  const manifest = parseManifest(JSON.parse(readFileSync(join(PACKAGE_ROOT, MANIFEST_PATH), 'utf8')));
  const paths = new Set([
    MANIFEST_PATH,
    'openapi/openapi.json',
    'openapi/schema.ts',
    ...manifest.items.flatMap((i) => i.modules),
  ]);
  for (const path of paths) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    cpSync(join(PACKAGE_ROOT, path), join(root, path));
  }
  const manifestPath = join(root, MANIFEST_PATH);
  return {
    root,
    manifestPath,
    manifest: () => parseManifest(JSON.parse(readFileSync(manifestPath, 'utf8'))),
    read: (path) => readFileSync(join(root, path), 'utf8'),
    remove: (path) => rmSync(join(root, path), { force: true }),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/**
 * The deprecation the retirement tests work with, since the committed manifest deprecates nothing:
 * 'legacy-endpoints-removed' deprecated as an operator would once its replacement is live.
 */
export const DEPRECATION = {
  item: 'legacy-endpoints-removed',
  date: '2026-11-16',
  sunset: '2027-03-01',
  /** Each operation's successor page (an internal name: never a placeholder the CLI refuses). */
  successor: (operation: string) => `https://docs.zpe.internal/next-gen/${operation}`,
} as const;

/** The `retire deprecate` command line that makes DEPRECATION true in the manifest at `manifestPath`. */
export function deprecateArgs(manifest: RetirementManifest, root: string, manifestPath: string): string[] {
  const item = manifest.items.find((i) => i.id === DEPRECATION.item);
  return [
    'deprecate',
    DEPRECATION.item,
    ...(item?.operations ?? []).flatMap((o) => ['--successor', `${o.operation}=${DEPRECATION.successor(o.operation)}`]),
    '--date',
    DEPRECATION.date,
    '--sunset',
    DEPRECATION.sunset,
    '--root',
    root,
    '--manifest',
    manifestPath,
  ];
}

/** The committed manifest with DEPRECATION applied, for gateways under test. */
export function deprecatedManifest(): RetirementManifest {
  const raw = JSON.parse(readFileSync(join(PACKAGE_ROOT, MANIFEST_PATH), 'utf8')) as {
    items: { id: string; operations: { operation: string; successor?: string }[] }[];
  };
  const items = raw.items.map((item) =>
    item.id !== DEPRECATION.item
      ? item
      : {
          ...item,
          deprecation: DEPRECATION.date,
          sunset: DEPRECATION.sunset,
          operations: item.operations.map((o) => ({ ...o, successor: DEPRECATION.successor(o.operation) })),
        },
  );
  return parseManifest({ ...raw, items });
}

/** A copy of the repository (copyRepo) in which an operator ran `retire deprecate` for DEPRECATION. */
export async function deprecatedRepo(): Promise<Repo> {
  const repo = copyRepo();
  const run = await retire(deprecateArgs(repo.manifest(), repo.root, repo.manifestPath));
  if (run.code !== 0) {
    repo.cleanup();
    throw new Error(`retire deprecate failed: ${run.err}`);
  }
  return repo;
}

export interface Run {
  code: number;
  out: string;
  err: string;
}

export async function retire(argv: string[], env: Record<string, string> = {}, cwd = PACKAGE_ROOT): Promise<Run> {
  let out = '';
  let err = '';
  const code = await runRetire(argv, {
    cwd,
    env,
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
  });
  return { code, out, err };
}

export function contractDiff(argv: string[], cwd: string): Run {
  let out = '';
  let err = '';
  const code = runContractDiff(argv, {
    cwd,
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
  });
  return { code, out, err };
}

/** A Redis URL nobody listens on: what `retire` sees when Redis is down. */
export async function deadRedisUrl(): Promise<string> {
  return `redis://127.0.0.1:${await freePort()}/0`;
}

/** The RFC grammars the headers must follow. */
export const STRUCTURED_DATE = /^@-?\d+$/;
export const IMF_FIXDATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

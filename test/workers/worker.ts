import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Miniflare } from 'miniflare';
import { buildWorker, type WorkerBuild } from '../../scripts/build-worker.js';
import { FLAGS_BINDING } from '../../src/runtime/workers/env.js';

export const WORKER_ADMIN_TOKEN = 'worker-admin-token';

let built: Promise<WorkerBuild> | undefined;

/** The bundle `npm run build:worker` makes, built once per test file into a private directory. */
export function workerBundle(): Promise<WorkerBuild> {
  built ??= mkdtemp(path.join(tmpdir(), 'zpe-worker-')).then((outDir) => buildWorker({ outDir }));
  return built;
}

type WorkerKv = Awaited<ReturnType<Miniflare['getKVNamespace']>>;

export interface RunningWorker {
  /** `http://127.0.0.1:PORT`, served by workerd. */
  origin: string;
  /** The Worker's ZPE_FLAGS namespace, written from the test as an operator's tool would. */
  kv: WorkerKv;
  /** What the Worker logged (console), one entry per line. */
  logs: { level: string; message: string }[];
  fetch(path: string, init?: RequestInit & { admin?: boolean; user?: string; json?: unknown }): Promise<Response>;
  dispose(): Promise<void>;
}

export interface WorkerOptions {
  /** Vars and secrets, as wrangler.toml [vars] and `wrangler secret put` would give them. */
  vars?: Record<string, string>;
  /** Leave out the KV namespace binding, as a deploy that forgot it would. */
  withoutKv?: boolean;
  /** Another script than the gateway's bundle (to see how a failure to start is reported). */
  scriptPath?: string;
}

/**
 * The bundled Worker in workerd (Miniflare), listening on loopback, with its KV namespace and the
 * given vars (dev-bypass identity and an admin token by default, as test/support/gateway.ts gives
 * the Node gateway: `fetch`'s `user` is a dev identity header, forwarded upstream only with
 * dev-bypass on); fails with workerd's reason when it cannot start.
 */
export async function startWorker(options: WorkerOptions = {}): Promise<RunningWorker> {
  const bundle = await workerBundle();
  const scriptPath = options.scriptPath ?? bundle.scriptPath;
  const logs: RunningWorker['logs'] = [];
  const runtimeOutput: string[] = [];
  const mf = new Miniflare({
    scriptPath,
    modules: true,
    // Module names are paths relative to this; the bundle lives in a temporary directory.
    modulesRoot: path.dirname(scriptPath),
    compatibilityDate: bundle.compatibilityDate,
    kvNamespaces: options.withoutKv ? [] : [FLAGS_BINDING],
    bindings: { AUTH_MODE: 'dev-bypass', ZPE_ADMIN_TOKEN: WORKER_ADMIN_TOKEN, ZPE_LOG_LEVEL: 'warn', ...options.vars },
    host: '127.0.0.1',
    port: 0,
    structuredWorkerdLogs: true,
    handleStructuredLogs: ({ level, message }: { level: string; message: string }) => {
      logs.push({ level, message });
    },
    // What workerd says outside structured logs (why it could not start, above all).
    handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
      for (const stream of [stdout, stderr]) stream.on('data', (chunk: Buffer) => runtimeOutput.push(chunk.toString()));
    },
  });
  let origin: string;
  try {
    origin = (await mf.ready).origin;
  } catch (err) {
    await mf.dispose().catch(() => {});
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`workerd did not start: ${reason}\n${runtimeOutput.join('').trim()}`, { cause: err });
  }
  const kv = options.withoutKv ? (undefined as unknown as WorkerKv) : await mf.getKVNamespace(FLAGS_BINDING);
  return {
    origin,
    kv,
    logs,
    fetch(requestPath, init = {}) {
      const { admin, user, json, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (admin) headers.set('authorization', `Bearer ${WORKER_ADMIN_TOKEN}`);
      if (user) headers.set('x-dev-user-id', user);
      if (json !== undefined) headers.set('content-type', 'application/json');
      return fetch(`${origin}${requestPath}`, {
        ...rest,
        headers,
        body: json !== undefined ? JSON.stringify(json) : rest.body,
      });
    },
    dispose: () => mf.dispose(),
  };
}

import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NextgenStandin, startNextgenStandin } from '../fixtures/nextgen-standin.js';
import { requestInit, SAMPLE_REQUESTS } from '../routing/requests.js';
import { type RunningWorker, startWorker, WORKER_ADMIN_TOKEN, workerBundle } from './worker.js';

type Envelope = { error: { code: string; message: string } };

let nextgen: NextgenStandin;
const started: RunningWorker[] = [];

async function start(options: Parameters<typeof startWorker>[0]): Promise<RunningWorker> {
  const worker = await startWorker(options);
  started.push(worker);
  return worker;
}

beforeAll(async () => {
  nextgen = await startNextgenStandin();
  await workerBundle();
}, 180_000);

afterAll(async () => {
  await Promise.all(started.map((w) => w.dispose()));
  await nextgen?.close();
});

describe('a Worker that cannot start', () => {
  it('answers every request with 503 naming each bad variable, and logs it once', async () => {
    const worker = await start({
      vars: { ZPE_NEXTGEN_URL: 'not a url', ZPE_UPSTREAM_TIMEOUT_MS: 'soon' },
    });
    for (const [requestPath, init] of [
      ['/healthz', {}],
      ['/api/zpe/jobs', { method: 'POST', json: {} }],
    ] as const) {
      const response = await worker.fetch(requestPath, init);
      expect(response.status).toBe(503);
      const { error } = (await response.json()) as Envelope;
      expect(error.code).toBe('service_unavailable');
      expect(error.message).toMatch(/^gateway cannot start: invalid configuration: /);
      expect(error.message).toContain('ZPE_NEXTGEN_URL: expected a http: or https: URL');
      expect(error.message).toContain(
        "ZPE_UPSTREAM_TIMEOUT_MS: expected a whole number from 100 to 300000, got 'soon'",
      );
    }
    const reports = worker.logs.filter((line) => line.message.includes('gateway cannot start'));
    expect(reports).toHaveLength(1);
    expect(reports[0]?.level).toBe('error');
    expect(reports[0]?.message).toContain('ZPE_NEXTGEN_URL');
    expect(JSON.stringify(worker.logs)).not.toContain(WORKER_ADMIN_TOKEN);
  });

  it('names the missing KV namespace binding', async () => {
    const worker = await start({ vars: { ZPE_NEXTGEN_URL: nextgen.origin }, withoutKv: true });
    const response = await worker.fetch('/readyz');
    expect(response.status).toBe(503);
    const { error } = (await response.json()) as Envelope;
    expect(error.message).toContain('ZPE_FLAGS: expected a KV namespace binding');
  });

  it('fails with workerd’s own reason when the runtime cannot load the script', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'zpe-worker-broken-'));
    const scriptPath = path.join(dir, 'broken.js');
    await writeFile(scriptPath, 'throw new Error("boom while loading");\nexport default { fetch() {} };\n');
    const failure = await startWorker({ scriptPath }).then(
      (worker) => worker.dispose().then(() => new Error('workerd started')),
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/^workerd did not start: /);
    expect((failure as Error).message).toContain('boom while loading');
  });
});

describe('a Worker with only a next-gen backend', () => {
  let worker: RunningWorker;
  beforeAll(async () => {
    // ZPE_BUILTIN_LEGACY is ignored: there is no Redis on Workers.
    worker = await start({ vars: { ZPE_NEXTGEN_URL: nextgen.origin, ZPE_BUILTIN_LEGACY: 'true' } });
  });

  it('answers the legacy operations 503 with the legacy-not-configured message', async () => {
    // Emergency revoke is not among them: it goes to every configured backend, here next-gen.
    for (const op of ['submitJob', 'getJobStatus', 'leaseJob', 'listQueueTargets'] as const) {
      const sample = SAMPLE_REQUESTS[op];
      const response = await worker.fetch(sample.path, requestInit(sample));
      expect(response.status, op).toBe(503);
      expect(response.headers.get('x-zpe-backend'), op).toBe('gateway');
      const { error } = (await response.json()) as Envelope;
      expect(error.message, op).toMatch(/^legacy backend not configured/);
    }
  });

  it('serves parse through next-gen and reports readiness without Redis', async () => {
    const sample = SAMPLE_REQUESTS.parseQeInput;
    const parsed = await worker.fetch(sample.path, requestInit(sample));
    expect(parsed.status).toBe(200);
    expect(parsed.headers.get('x-zpe-backend')).toBe('nextgen');
    const ready = await worker.fetch('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { nextgen: 'ok' } });
  });
});

describe('a Worker without ZPE_ADMIN_TOKEN', () => {
  it('refuses admin operations, whatever token is sent', async () => {
    const worker = await start({ vars: { ZPE_NEXTGEN_URL: nextgen.origin, ZPE_ADMIN_TOKEN: '' } });
    const response = await worker.fetch('/api/zpe/admin/ops', { admin: true });
    expect(response.status).toBe(403);
    const { error } = (await response.json()) as Envelope;
    expect(error.message).toBe('admin operations disabled: no ZPE_ADMIN_TOKEN configured');
  });
});

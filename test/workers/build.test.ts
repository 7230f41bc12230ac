import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildWorker, WorkerBuildError } from '../../scripts/build-worker.js';
import { workerBundle } from './worker.js';

/** Cloudflare's limit for a Worker on the Free plan, after compression. */
const FREE_PLAN_GZIP_LIMIT = 3 * 1024 * 1024;

describe('npm run build:worker', () => {
  it('bundles the Worker with no Node module, within the Free plan size limit', async () => {
    const build = await workerBundle();
    expect(build.gzipBytes).toBeGreaterThan(0);
    expect(build.gzipBytes).toBeLessThan(build.rawBytes);
    expect(build.gzipBytes).toBeLessThan(FREE_PLAN_GZIP_LIMIT);
    const script = await readFile(build.scriptPath, 'utf8');
    // Without nodejs_compat, workerd could not load a bundle that imports any of these.
    expect(script).not.toMatch(/\bfrom\s*["'](node:|ioredis|undici)/);
    expect(script).not.toMatch(/\bimport\(\s*["']node:/);
    expect(script).toContain('export {');
  });

  it('refuses an entry that reaches Node-only code, naming each module and the import chain', async () => {
    const outDir = await mkdtemp(path.join(tmpdir(), 'zpe-worker-leak-'));
    const entry = 'test/workers/fixtures/node-leak.ts';
    const failure = await buildWorker({ entry, outDir }).then(
      () => new Error('the build succeeded'),
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(WorkerBuildError);
    const message = (failure as Error).message;
    expect(message).toContain('the Worker bundle would pull in Node-only modules');
    const lines = message.split('\n').map((line) => line.trim());
    expect(lines).toContain(`src/flags/redis-storage.ts: ${entry} -> src/flags/redis-storage.ts`);
    expect(lines).toContain(`ioredis: ${entry} -> node_modules/ioredis/built/index.js`);
    expect(lines).toContain(`node:fs: ${entry} -> test/workers/fixtures/reads-a-file.ts -> node:fs`);
  });
});

import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/cli/workspace.js';
import { deadRedisUrl } from './harness.js';

describe('the zpe-gateway bin', () => {
  it('runs the TypeScript CLI from anywhere, on this package’s manifest', async () => {
    const run = spawnSync(
      process.execPath,
      [join(PACKAGE_ROOT, 'bin/zpe-gateway.js'), 'retire', 'status', '--today', '2026-12-01'],
      {
        cwd: tmpdir(),
        env: { ...process.env, ZPE_REDIS_URL: await deadRedisUrl() },
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Retirement checklist (routes/retirement.json), today 2026-12-01');
    // The committed manifest deprecates nothing, so no callers are read (Redis is down anyway).
    expect(run.stdout).toContain('callers: none counted (no operation is deprecated)');
    expect(run.stdout).toMatch(
      /^legacy-endpoints-removed +open +\d+ not met +submitJob \(POST \/api\/zpe\/jobs\) +active$/m,
    );
  });

  it('exits 2 with the usage on an unknown command', () => {
    const run = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'bin/zpe-gateway.js'), 'retire', 'frobnicate'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("zpe-gateway retire: unknown command 'frobnicate'");
    expect(run.stderr).toContain('usage: zpe-gateway retire COMMAND [options]');
  });
});

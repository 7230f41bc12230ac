import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { buildDocument, serializeDocument } from '../../src/contract/document.js';
import { startNextgenStandin } from '../fixtures/nextgen-standin.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

async function conformance(args: string[]): Promise<{ code: number | null; stdout: string[]; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'contract-tests/cli.ts', ...args], { cwd: REPO });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += String(d);
  });
  child.stderr.on('data', (d) => {
    stderr += String(d);
  });
  const [code] = await once(child, 'exit');
  return { code: code as number | null, stdout: stdout.trimEnd().split('\n'), stderr };
}

const standin = await startNextgenStandin();
afterAll(() => standin.close());

const contractFile = join(mkdtempSync(join(tmpdir(), 'conformance-')), 'openapi.json');
writeFileSync(contractFile, serializeDocument(buildDocument()));

describe('npm run conformance', () => {
  it('prints a line per check and "N passed, 0 failed" last, exiting 0, as the users it was given', async () => {
    const { code, stdout } = await conformance([
      '--base-url',
      standin.origin,
      '--user-header',
      'X-Dev-User-Id=cli-alice',
      '--other-user-header',
      'X-Dev-User-Id=cli-bob',
      '--admin-token',
      standin.adminToken,
      '--contract',
      contractFile,
    ]);
    expect(stdout.at(-1)).toMatch(/^\d+ passed, 0 failed$/);
    expect(stdout.filter((line) => line.startsWith('PASS  ')).length).toBe(Number(stdout.at(-1)?.split(' ')[0]));
    expect(stdout[0]).toBe(`conformance of ${standin.origin} against ${contractFile}`);
    expect(code).toBe(0);
    expect(new Set(standin.jobs().map((job) => job.owner))).toEqual(new Set(['cli-alice']));
  }, 60_000);

  it('exits non-zero and counts the failures when the target breaks the contract', async () => {
    standin.setFault({ kind: 'status', status: 418 }, ['listQueueTargets']);
    try {
      const { code, stdout } = await conformance(['--base-url', standin.origin]);
      const summary = stdout.at(-1) ?? '';
      expect(summary).toMatch(/^\d+ passed, [1-9]\d* failed, \d+ skipped$/);
      const failed = stdout.filter((line) => line.startsWith('FAIL  '));
      expect(failed.length).toBe(Number(/(\d+) failed/.exec(summary)?.[1]));
      expect(stdout).toContain('SKIP  admin: read the cutover flags (skipped: no admin token given (--admin-token))');
      expect(code).toBe(1);
    } finally {
      standin.setFault(undefined);
    }
  }, 60_000);

  it('refuses to run without a base URL, with the usage', async () => {
    const { code, stderr } = await conformance(['--user-token', 'abc']);
    expect(stderr).toContain('--base-url is required');
    expect(stderr).toContain('usage: npm run conformance');
    expect(code).toBe(2);
  });

  it('refuses a user given twice', async () => {
    const { code, stderr } = await conformance([
      '--base-url',
      standin.origin,
      '--user-token',
      'a',
      '--user-header',
      'X=b',
    ]);
    expect(stderr).toContain('give --user-header or --user-token, not both');
    expect(code).toBe(2);
  });
});

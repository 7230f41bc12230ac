import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/cli/workspace.js';
import type { JsonObject } from '../../src/contract-diff/types.js';
import { contractDiff } from './harness.js';

/** `GET /things` and `DELETE /things/{id}` (operation ids listThings, dropThing), `extra` laid over the GET. */
function contract(get: JsonObject | null, del: JsonObject | null = {}): JsonObject {
  const op = (id: string, extra: JsonObject) => ({
    operationId: id,
    responses: { '200': { description: 'ok' } },
    ...extra,
  });
  const paths: JsonObject = {};
  if (get) paths['/things'] = { get: op('listThings', get) };
  if (del) paths['/things/{id}'] = { delete: op('dropThing', del) };
  return { openapi: '3.1.0', info: { title: 't', version: '1' }, paths };
}

const manifestClosing = (state: 'open' | 'closed') => {
  const committed = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'routes/retirement.json'), 'utf8'));
  committed.items[0].operations = [{ operation: 'listThings', successor: 'https://next.example/things' }];
  committed.items[0].state = state;
  if (state === 'closed') Object.assign(committed.items[0], { closed_at: '2027-01-01', reason: 'r' });
  return committed;
};

describe('contract:diff deprecation and sunset policy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zpe-diff-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, value: unknown) => {
    writeFileSync(join(dir, name), JSON.stringify(value));
    return name;
  };
  const diff = (base: JsonObject, head: JsonObject, ...rest: string[]) =>
    contractDiff([file('base.json', base), file('head.json', head), ...rest], dir);
  const closed = file('closed.json', manifestClosing('closed'));
  const open = file('open.json', manifestClosing('open'));

  it('removing an operation that was never deprecated is an ERR, closed item or not', () => {
    const run = diff(contract({}), contract(null), '--manifest', closed, '--today', '2027-06-01');
    expect(run.code).toBe(1);
    expect(run.out).toContain('ERR  api-path-removed-without-deprecation  GET /things');
  });

  it('deprecating: INFO, with or without a sunset date', () => {
    const withSunset = diff(contract({}), contract({ deprecated: true, 'x-sunset': '2027-03-01' }));
    expect(withSunset.code).toBe(0);
    expect(withSunset.out).toContain(
      'INFO  endpoint-deprecated-with-sunset  GET /things  operation deprecated, sunset 2027-03-01',
    );
    const without = diff(contract({}), contract({ deprecated: true }));
    expect(without.code).toBe(0);
    expect(without.out).toContain('INFO  endpoint-deprecated  GET /things  operation deprecated without a sunset date');
  });

  it('deleting a sunset or moving it earlier is an ERR; later is INFO', () => {
    const base = contract({ deprecated: true, 'x-sunset': '2027-03-01' });
    const deleted = diff(base, contract({ deprecated: true }));
    expect(deleted.code).toBe(1);
    expect(deleted.out).toContain('ERR  api-sunset-deleted  GET /things  sunset date 2027-03-01 deleted');
    const earlier = diff(base, contract({ deprecated: true, 'x-sunset': '2027-02-01' }));
    expect(earlier.code).toBe(1);
    expect(earlier.out).toContain(
      'ERR  api-sunset-date-changed-too-small  GET /things  sunset moved earlier, from 2027-03-01 to 2027-02-01',
    );
    const later = diff(base, contract({ deprecated: true, 'x-sunset': '2027-04-01' }));
    expect(later.code).toBe(0);
    const garbled = diff(base, contract({ deprecated: true, 'x-sunset': 'March 2027' }));
    expect(garbled.out).toContain("ERR  api-deprecated-sunset-parse  GET /things  x-sunset 'March 2027' is not a date");
  });

  it('removing a deprecated operation before its sunset is an ERR, even when its item is closed', () => {
    const base = contract({ deprecated: true, 'x-sunset': '2027-03-01' });
    const run = diff(base, contract(null), '--manifest', closed, '--today', '2027-02-28');
    expect(run.code).toBe(1);
    expect(run.out).toContain(
      'ERR  api-path-removed-before-sunset  GET /things  operation GET /things removed before its sunset 2027-03-01 (today 2027-02-28)',
    );
  });

  it('on or after the sunset, covered by a closed item: RETIRED (INFO) and exit 0', () => {
    const base = contract({ deprecated: true, 'x-sunset': '2027-03-01' });
    const run = diff(base, contract(null), '--manifest', closed, '--today', '2027-03-01');
    expect(run.code).toBe(0);
    expect(run.out).toBe(
      'RETIRED  endpoint-retired  GET /things  operation GET /things retired by a closed checklist item, sunset 2027-03-01 passed\n' +
        '1 changes: 0 error, 0 warning, 1 info\n',
    );
    const json = JSON.parse(
      diff(base, contract(null), '--manifest', closed, '--today', '2027-03-01', '--format', 'json').out,
    );
    expect(json.changes).toEqual([expect.objectContaining({ id: 'endpoint-retired', level: 'INFO' })]);
  });

  it('after the sunset but no closed item covers it: an ERR naming the manifest', () => {
    const base = contract({ deprecated: true, 'x-sunset': '2027-03-01' });
    const run = diff(base, contract(null), '--manifest', open, '--today', '2027-06-01');
    expect(run.code).toBe(1);
    expect(run.out).toContain(
      'ERR  api-removed-without-retirement  GET /things  operation GET /things removed after its sunset 2027-03-01, but no closed item of routes/retirement.json retires it',
    );
  });

  it('a bad --manifest is a usage error (exit 2)', () => {
    const run = diff(contract({}), contract({}), '--manifest', 'missing.json');
    expect(run.code).toBe(2);
    expect(run.err).toContain('--manifest missing.json: no such file');
    const notManifest = diff(contract({}), contract({}), '--manifest', file('x.json', { items: 3 }));
    expect(notManifest.code).toBe(2);
    expect(notManifest.err).toContain('x.json is not a retirement manifest');
  });

  it('between git refs it reads the HEAD ref’s routes/retirement.json', () => {
    const repo = join(dir, 'repo');
    mkdirSync(join(repo, 'openapi'), { recursive: true });
    mkdirSync(join(repo, 'routes'), { recursive: true });
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
        cwd: repo,
        stdio: 'pipe',
      });
    git('init', '-q');
    writeFileSync(
      join(repo, 'openapi/openapi.json'),
      JSON.stringify(contract({ deprecated: true, 'x-sunset': '2027-03-01' })),
    );
    writeFileSync(join(repo, 'routes/retirement.json'), JSON.stringify(manifestClosing('open')));
    git('add', '.');
    git('commit', '-q', '-m', 'deprecated');
    writeFileSync(join(repo, 'openapi/openapi.json'), JSON.stringify(contract(null)));
    writeFileSync(join(repo, 'routes/retirement.json'), JSON.stringify(manifestClosing('closed')));
    git('commit', '-q', '-am', 'retired');
    // The working tree goes back to open: only HEAD's manifest says closed.
    writeFileSync(join(repo, 'routes/retirement.json'), JSON.stringify(manifestClosing('open')));

    const run = contractDiff(['HEAD~1', 'HEAD', '--today', '2027-06-01'], repo);
    expect(run.code, run.out + run.err).toBe(0);
    expect(run.out).toContain('RETIRED  endpoint-retired  GET /things');
    const worktree = contractDiff(['HEAD~1', 'openapi/openapi.json', '--today', '2027-06-01'], repo);
    expect(worktree.code).toBe(1);
    expect(worktree.out).toContain('ERR  api-removed-without-retirement  GET /things');
  });
});

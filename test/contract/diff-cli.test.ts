import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runContractDiff } from '../../src/contract-diff/cli.js';
import { ContractInputError } from '../../src/contract-diff/document.js';
import { loadContract } from '../../src/contract-diff/load.js';
import type { JsonObject } from '../../src/contract-diff/types.js';
import { json, object, openapi } from './openapi-fixtures.js';

const root = resolve(import.meta.dirname, '../..');

/** v1: two operations; v2: `GET /api/zpe/items` lost a success status (ERR), `/other` gained an operation. */
const v1 = openapi({
  '/api/zpe/items': {
    get: { responses: { '200': { description: 'ok', ...json(object({ id: { type: 'string' } })) } } },
  },
  '/other': { get: { responses: { '200': { description: 'ok' } } } },
});
const v2 = openapi({
  '/api/zpe/items': { get: { responses: { '204': { description: 'none' } } } },
  '/other': {
    get: { responses: { '200': { description: 'ok' } } },
    post: { responses: { '201': { description: 'made' } } },
  },
});

let repo: string;

function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: repo, encoding: 'utf8' });
}

function writeContract(doc: JsonObject, path = 'openapi/openapi.json'): void {
  mkdirSync(join(repo, path, '..'), { recursive: true });
  writeFileSync(join(repo, path), `${JSON.stringify(doc, null, 2)}\n`);
}

/** Runs the CLI in-process against the temp repo; returns exit code and output. */
function cli(...argv: string[]) {
  let out = '';
  let err = '';
  const code = runContractDiff(argv, { cwd: repo, out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), 'contract-diff-'));
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'ci@example.invalid');
  git('config', 'user.name', 'CI');
  writeContract(v1);
  git('add', '.');
  git('commit', '-q', '-m', 'v1');
  git('tag', 'v1');
  writeContract(v2);
  git('commit', '-q', '-am', 'v2');
  writeContract(v1, 'legacy.json');
});

afterAll(() => rmSync(repo, { recursive: true, force: true }));

describe('loading contracts', () => {
  it('reads a file', () => {
    expect(loadContract('legacy.json', repo)).toEqual({ source: 'legacy.json', document: v1 });
  });

  it('reads REF:PATH from git', () => {
    expect(loadContract('HEAD~1:openapi/openapi.json', repo).document).toEqual(v1);
    expect(loadContract('HEAD:openapi/openapi.json', repo).document).toEqual(v2);
  });

  it('reads a bare ref as that ref’s openapi/openapi.json', () => {
    expect(loadContract('v1', repo)).toEqual({ source: 'v1:openapi/openapi.json', document: v1 });
    expect(loadContract('main', repo).document).toEqual(v2);
  });

  it('explains what it could not load', () => {
    expect(() => loadContract('nope', repo)).toThrow(ContractInputError);
    expect(() => loadContract('nope', repo)).toThrow("'nope' is neither a file nor a git ref");
    expect(() => loadContract('nope:openapi/openapi.json', repo)).toThrow("'nope' is not a git ref");
    expect(() => loadContract('v1:missing.json', repo)).toThrow("cannot read 'missing.json' at 'v1'");
    writeFileSync(join(repo, 'broken.json'), '{ not json');
    expect(() => loadContract('broken.json', repo)).toThrow('broken.json is not valid JSON');
    writeFileSync(join(repo, 'plain.json'), '{"swagger": "2.0"}');
    expect(() => loadContract('plain.json', repo)).toThrow('plain.json is not an OpenAPI 3.x document');
  });
});

describe('contract:diff', () => {
  it('exits 1 and lists each change with its level, rule and operation when something breaks', () => {
    const { code, out } = cli('v1', 'main');
    expect(code).toBe(1);
    expect(out.split('\n')).toEqual([
      'ERR  response-success-status-removed  GET /api/zpe/items  response status 200 removed',
      'INFO  response-success-status-added  GET /api/zpe/items  response status 204 added',
      'INFO  endpoint-added  POST /other  operation POST /other added',
      '3 changes: 1 error, 0 warning, 2 info',
      '',
    ]);
  });

  it('compares against the working tree’s openapi/openapi.json when HEAD is left out', () => {
    writeContract(v1);
    try {
      const { code, out } = cli('v1');
      expect(code).toBe(0);
      expect(out).toBe('0 changes: 0 error, 0 warning, 0 info\n');
    } finally {
      writeContract(v2);
    }
  });

  it('--paths limits the comparison to paths with that prefix', () => {
    expect(cli('v1', 'main', '--paths', '/other')).toMatchObject({
      code: 0,
      out: 'INFO  endpoint-added  POST /other  operation POST /other added\n1 changes: 0 error, 0 warning, 1 info\n',
    });
    expect(cli('v1', 'main', '--paths', '/api/zpe/').out).not.toContain('/other');
  });

  it('--format json gives machines the same findings and a summary', () => {
    const { code, out } = cli('legacy.json', 'HEAD:openapi/openapi.json', '--format', 'json', '--today', '2026-05-01');
    expect(code).toBe(1);
    const report = JSON.parse(out);
    expect(report).toMatchObject({
      base: 'legacy.json',
      head: 'HEAD:openapi/openapi.json',
      today: '2026-05-01',
      pathPrefix: '',
      summary: { changes: 3, error: 1, warning: 0, info: 2 },
    });
    expect(report.changes[0]).toEqual({
      id: 'response-success-status-removed',
      level: 'ERR',
      method: 'GET',
      path: '/api/zpe/items',
      message: 'response status 200 removed',
    });
  });

  it('exits 2 with a clear message on usage errors', () => {
    const cases: [string[], string][] = [
      [[], 'BASE is missing'],
      [['a', 'b', 'c'], 'expected BASE [HEAD], got 3 arguments'],
      [['v1', '--today', '2026-13-01'], "--today must be a date as YYYY-MM-DD, not '2026-13-01'"],
      [['v1', '--format', 'xml'], "--format must be text or json, not 'xml'"],
      [['v1', '--paths', 'api'], "--paths must be a path prefix starting with '/'"],
      [['v1', '--colour'], "Unknown option '--colour'"],
      [['nope'], "'nope' is neither a file nor a git ref"],
    ];
    for (const [argv, message] of cases) {
      const { code, out, err } = cli(...argv);
      expect({ argv, code }).toEqual({ argv, code: 2 });
      expect(err).toContain(message);
      expect(out).toBe('');
    }
    expect(cli().err).toContain('usage: npm run contract:diff -- BASE [HEAD]');
  });

  it('sets the process exit status when run as a script', () => {
    const run = (...argv: string[]) =>
      spawnSync(join(root, 'node_modules/.bin/tsx'), [join(root, 'scripts/contract-diff.ts'), ...argv], {
        cwd: repo,
        encoding: 'utf8',
      });
    const breaking = run('v1', 'main');
    expect(breaking.status).toBe(1);
    expect(breaking.stdout).toContain('ERR  response-success-status-removed  GET /api/zpe/items');
    const usage = run('--today', 'soon', 'v1');
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('--today must be a date');
  });
});

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildDocument } from '../../src/contract/document.js';
import { runContractDiff } from '../../src/contract-diff/cli.js';
import { diffContracts } from '../../src/contract-diff/diff.js';
import { HTTP_METHODS } from '../../src/contract-diff/document.js';
import { formatText } from '../../src/contract-diff/report.js';
import type { JsonObject } from '../../src/contract-diff/types.js';

const root = resolve(import.meta.dirname, '../..');
/** The contract the current clients were generated from, beside the checkout (DESIGN.md, "The contract"). */
const LEGACY = resolve(root, '../shared/legacy/openapi.json');

function legacy(): JsonObject {
  if (!existsSync(LEGACY)) throw new Error(`the legacy contract is expected at ${LEGACY}`);
  return JSON.parse(readFileSync(LEGACY, 'utf8'));
}

function operationsUnder(doc: JsonObject, prefix: string): string[] {
  const paths = doc.paths as Record<string, Record<string, unknown>>;
  return Object.entries(paths)
    .filter(([path]) => path.startsWith(prefix))
    .flatMap(([path, item]) => HTTP_METHODS.filter((m) => m in item).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();
}

describe('compatibility with the legacy contract', () => {
  it('every legacy /api/zpe/ operation is in the contract with the same path and method', () => {
    const expected = operationsUnder(legacy(), '/api/zpe/');
    expect(expected.length).toBeGreaterThan(0);
    const actual = operationsUnder(buildDocument(), '/api/zpe/');
    expect(expected.filter((op) => !actual.includes(op))).toEqual([]);
  });

  it('the contract has no breaking change against the legacy one under /api/zpe/', () => {
    const findings = diffContracts(legacy(), buildDocument(), { pathPrefix: '/api/zpe/' });
    const breaking = findings.filter((f) => f.level === 'ERR');
    expect(breaking.length === 0 ? '' : formatText(breaking)).toBe('');
    // The intended differences show up as compatible ones.
    const ids = new Set(findings.map((f) => f.id));
    for (const id of [
      'api-operation-id-removed',
      'response-success-status-added',
      'response-non-success-status-added',
    ]) {
      expect(ids).toContain(id);
    }
  });

  it('`npm run contract:diff -- ../shared/legacy/openapi.json --paths /api/zpe/` exits 0 on the committed document', () => {
    let out = '';
    const code = runContractDiff(['../shared/legacy/openapi.json', '--paths', '/api/zpe/'], {
      cwd: root,
      out: (t) => (out += t),
      err: (t) => (out += t),
    });
    expect(out).toMatch(/^\d+ changes: 0 error, \d+ warning, \d+ info$/m);
    expect(code).toBe(0);
  });
});

describe('npm run contract:lint', () => {
  it('passes on the committed document with redocly.yaml', () => {
    const lint = spawnSync(
      join(root, 'node_modules/.bin/redocly'),
      ['lint', 'openapi/openapi.json', '--config', 'redocly.yaml'],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
    expect(lint.stdout + lint.stderr).toContain('Your API description is valid');
    expect(lint.status).toBe(0);
  }, 60_000);
});

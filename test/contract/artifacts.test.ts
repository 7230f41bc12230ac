import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildDocument } from '../../src/contract/document.js';
import { checkArtifacts, generateArtifacts } from '../../src/contract-diff/artifacts.js';
import { unifiedDiff } from '../../src/contract-diff/unified-diff.js';

const root = resolve(import.meta.dirname, '../..');

function committed(path: string): string | undefined {
  try {
    return readFileSync(join(root, path), 'utf8');
  } catch {
    return undefined;
  }
}

describe('contract artifacts', () => {
  it('the committed openapi/ files are what src/contract generates', async () => {
    const report = checkArtifacts(await generateArtifacts(), committed);
    expect(report.text).toBe('');
    expect(report.ok).toBe(true);
  });

  it('are an OpenAPI 3.1 document with a trailing newline and types that keep defaulted request fields optional', async () => {
    const [document, types] = await generateArtifacts();
    expect(document?.path).toBe('openapi/openapi.json');
    expect(JSON.parse(document?.text ?? '').openapi).toBe('3.1.0');
    expect(document?.text.endsWith('}\n')).toBe(true);
    expect(types?.path).toBe('openapi/schema.ts');
    // ZPEJobRequest.calc_mode has a default: a client may leave it out.
    const jobRequest = types?.text.split('ZPEJobRequest: {')[1]?.split('\n        };')[0];
    expect(jobRequest).toContain('calc_mode?: "new" | "continue";');
    expect(jobRequest).toContain('content: string;');
  });

  it('one byte changed in a committed file fails the check with a readable diff', async () => {
    const generated = await generateArtifacts();
    const onDisk = new Map(generated.map((a) => [a.path, a.text]));
    const json = onDisk.get('openapi/openapi.json') ?? '';
    onDisk.set('openapi/openapi.json', json.replace('"openapi": "3.1.0"', '"openapi": "3.1.1"'));
    const report = checkArtifacts(generated, (path) => onDisk.get(path));
    expect(report.ok).toBe(false);
    expect(report.text).toContain('openapi/openapi.json differs from what src/contract generates:');
    expect(report.text).toContain('-  "openapi": "3.1.1",\n+  "openapi": "3.1.0",');
    expect(report.text).not.toContain('openapi/schema.ts');
    expect(report.text).toContain('run `npm run contract`');
    expect(checkArtifacts(generated, (path) => generated.find((a) => a.path === path)?.text)).toEqual({
      ok: true,
      text: '',
    });
  });

  it('a schema edited without regenerating fails the check in both files, naming the field', async () => {
    const document = buildDocument();
    const schemas = (document.components as { schemas: Record<string, { properties: Record<string, unknown> }> })
      .schemas;
    const jobRequest = schemas.ZPEJobRequest;
    if (!jobRequest) throw new Error('ZPEJobRequest is not in the contract');
    jobRequest.properties.priority = { type: 'integer' };
    const report = checkArtifacts(await generateArtifacts(document as never), committed);
    expect(report.ok).toBe(false);
    expect(report.text).toMatch(/^\+ +"priority": \{$/m);
    expect(report.text).toMatch(/^\+ +priority\?: number;$/m);
    expect(report.text).toContain('openapi/schema.ts differs');
  });

  it('a missing file fails the check', async () => {
    const report = checkArtifacts(await generateArtifacts(), (path) =>
      path.endsWith('.ts') ? undefined : committed(path),
    );
    expect(report).toEqual({ ok: false, text: expect.stringContaining('openapi/schema.ts is missing.') });
  });

  it('`npm run contract:check` in a copy of the repository fails after a schema edit', () => {
    const copy = mkdtempSync(join(tmpdir(), 'contract-check-'));
    try {
      // The working tree as it is (the contract may read data files beside src/), without build output.
      for (const entry of readdirSync(root)) {
        if (['node_modules', '.git', '.wrangler', 'dist'].includes(entry)) continue;
        cpSync(join(root, entry), join(copy, entry), { recursive: true });
      }
      symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'), 'dir');
      const schemaFile = join(copy, 'src/contract/schemas/jobs.ts');
      const source = readFileSync(schemaFile, 'utf8');
      const edited = source.replace('.object({', '.object({\n    drift_probe_field: z.string().optional(),');
      expect(edited).not.toBe(source);
      writeFileSync(schemaFile, edited);

      const check = spawnSync(join(copy, 'node_modules/.bin/tsx'), ['scripts/contract.ts', 'check'], {
        cwd: copy,
        encoding: 'utf8',
      });
      expect(check.status).toBe(1);
      expect(check.stderr).toContain('--- openapi/openapi.json (committed)');
      expect(check.stderr).toMatch(/^\+ +"drift_probe_field": \{$/m);
      expect(check.stderr).toMatch(/^\+ +drift_probe_field\?: string;$/m);
      expect(check.stderr).toContain('run `npm run contract`');
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedDiff('a\nb\n', 'a\nb\n', { before: 'x', after: 'y' })).toBe('');
  });

  it('shows changed lines with three lines of context and hunk positions', () => {
    const before = `${Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n')}\n`;
    const after = before.replace('line 10\n', 'line ten\n').replace('line 20\n', 'line 20\nline 21\n');
    expect(unifiedDiff(before, after, { before: 'old', after: 'new' })).toBe(
      [
        '--- old',
        '+++ new',
        '@@ -7,7 +7,7 @@',
        ' line 7',
        ' line 8',
        ' line 9',
        '-line 10',
        '+line ten',
        ' line 11',
        ' line 12',
        ' line 13',
        '@@ -18,3 +18,4 @@',
        ' line 18',
        ' line 19',
        ' line 20',
        '+line 21',
        '',
      ].join('\n'),
    );
  });

  it('merges nearby changes into one hunk and marks a missing final newline', () => {
    expect(unifiedDiff('a\nb\nc\n', 'a\nB\nc', { before: 'old', after: 'new' })).toBe(
      ['--- old', '+++ new', '@@ -1,3 +1,4 @@', ' a', '-b', '+B', ' c', '+\\ No newline at end of file', ''].join('\n'),
    );
  });
});

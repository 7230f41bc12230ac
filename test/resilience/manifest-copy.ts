import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RetirementManifest } from '../../src/lifecycle/manifest.js';

/** The manifest written to a temporary file, for `retire ... --manifest PATH`. */
export function manifestFile(manifest: RetirementManifest): { path: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'zpe-manifest-'));
  const path = join(dir, 'retirement.json');
  writeFileSync(path, `${JSON.stringify(manifest, null, 2)}\n`);
  return { path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { committedManifest } from '../../src/lifecycle/committed.js';
import { parseManifest, type RetirementManifest } from '../../src/lifecycle/manifest.js';

export const DEPRECATED_ITEM = 'legacy-endpoints-removed';
export const DEPRECATION = '2026-11-16';
export const SUNSET = '2027-03-01';

/**
 * A copy of the committed manifest in which the item retiring the job, worker, target and ops endpoints
 * is deprecated, whatever the committed one says today: tests of deprecated operations work on copies.
 */
export function deprecatingManifest(): RetirementManifest {
  const manifest = structuredClone(committedManifest());
  const item = manifest.items.find((i) => i.id === DEPRECATED_ITEM);
  if (!item) throw new Error(`the committed manifest has no item '${DEPRECATED_ITEM}'`);
  item.deprecation = DEPRECATION;
  item.sunset = SUNSET;
  return parseManifest(manifest);
}

/** The manifest written to a temporary file, for `retire ... --manifest PATH`. */
export function manifestFile(manifest: RetirementManifest): { path: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'zpe-manifest-'));
  const path = join(dir, 'retirement.json');
  writeFileSync(path, `${JSON.stringify(manifest, null, 2)}\n`);
  return { path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
